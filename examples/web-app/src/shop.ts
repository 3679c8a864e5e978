import type { AnyResolver, KeyRulesConfig } from "@converge/core";
import { lww, multiValue, pncounter } from "@converge/resolvers";

/** The document every page and the server share. */
export const DOCUMENT = "shop";

/** The products the page shows. */
export const PRODUCTS: readonly string[] = ["apple", "fig", "pear"];

/**
 * The shop's key rules, built the same way in the page (cart script under the browser QuickJS
 * entry) and on the server (the Node entry): stock counts, last-writer-wins prices, tags whose
 * concurrent values stay visible, and carts merged item by item by `cart.js`.
 */
export function shopRules(cart: AnyResolver): KeyRulesConfig {
  return {
    default: lww(),
    keys: {
      "stock:*": pncounter(),
      "price:*": lww<number>(),
      "tags:*": multiValue<string>(),
      "cart:*": cart,
    },
  };
}
