import type { Concurrent, ReplicatedMap } from "@converge/core";
import type { SyncSession } from "@converge/sync";
import { PRODUCTS } from "./shop.ts";
import type { TabSync } from "./tab-sync.ts";

interface Parts {
  readonly map: ReplicatedMap;
  readonly server: SyncSession;
  readonly tabs: TabSync;
  readonly name: string;
}

const el = <K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  text = "",
): HTMLElementTagNameMap[K] => {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== "") e.textContent = text;
  return e;
};

/** Who wrote a concurrent value: a known name from presence, else the replica id's tail. */
function writer(c: Concurrent<unknown>, names: ReadonlyMap<string, string>): string {
  return names.get(c.replica) ?? c.replica.slice(-4);
}

/**
 * Draws the shop and keeps it current: a row per product with its stock (± buttons), price
 * (last writer wins), tags (every concurrent value, with who wrote it, until someone resolves the
 * conflict by writing again) and cart quantity; the merged cart; status, presence and outbox.
 * Every control carries a `data-test` name, the handle the browser tests use.
 */
export function renderShop(doc: Document, parts: Parts): void {
  const { map, server, tabs, name } = parts;
  const body = doc.getElementById("products") as HTMLElement;
  const names = new Map<string, string>([[map.id, name]]);
  (doc.getElementById("me") as HTMLElement).textContent = name;
  (doc.getElementById("replica") as HTMLElement).textContent = map.id;

  for (const p of PRODUCTS) {
    const row = el(doc, "tr", { "data-product": p });
    row.append(el(doc, "td", {}, p));
    const stock = el(doc, "td");
    const minus = el(doc, "button", { "data-test": `stock-minus-${p}` }, "−");
    const count = el(doc, "span", { "data-test": `stock-${p}` }, "0");
    const plus = el(doc, "button", { "data-test": `stock-plus-${p}` }, "+");
    minus.onclick = () => map.decrement(`stock:${p}`);
    plus.onclick = () => map.increment(`stock:${p}`);
    stock.append(minus, " ", count, " ", plus);
    const price = el(doc, "td");
    const priceInput = el(doc, "input", { type: "number", "data-test": `price-input-${p}` });
    const priceSet = el(doc, "button", { "data-test": `price-set-${p}` }, "set");
    const priceShown = el(doc, "span", { "data-test": `price-${p}` });
    priceSet.onclick = () => map.set(`price:${p}`, Number(priceInput.value));
    price.append(priceShown, " ", priceInput, priceSet);
    const tags = el(doc, "td");
    const tagInput = el(doc, "input", { "data-test": `tag-input-${p}`, size: "8" });
    const tagSet = el(doc, "button", { "data-test": `tag-set-${p}` }, "set");
    const tagShown = el(doc, "span", { "data-test": `tags-${p}` });
    tagSet.onclick = () => map.set(`tags:${p}`, tagInput.value);
    tags.append(tagShown, " ", tagInput, tagSet);
    const cart = el(doc, "td");
    const cartInput = el(doc, "input", {
      type: "number",
      min: "1",
      max: "5",
      "data-test": `cart-input-${p}`,
    });
    const cartAdd = el(doc, "button", { "data-test": `cart-add-${p}` }, "add");
    cartAdd.onclick = () => {
      const current = (map.get<Record<string, number>>("cart:shared") ?? {}) as Record<string, number>;
      map.set("cart:shared", { ...current, [p]: Number(cartInput.value) });
    };
    cart.append(cartInput, cartAdd);
    row.append(stock, price, tags, cart);
    body.append(row);
  }

  const draw = (): void => {
    for (const s of [server, tabs.session()]) {
      for (const [, state] of s.presence()) {
        const who = state as { name?: unknown; replica?: unknown } | null;
        if (who !== null && typeof who.name === "string" && typeof who.replica === "string")
          names.set(who.replica, who.name);
      }
    }
    for (const p of PRODUCTS) {
      const q = (sel: string): HTMLElement => doc.querySelector(`[data-test="${sel}"]`) as HTMLElement;
      q(`stock-${p}`).textContent = String(map.get<number>(`stock:${p}`) ?? 0);
      const price = map.get<number>(`price:${p}`);
      q(`price-${p}`).textContent = price === undefined ? "—" : String(price);
      const concurrent = map.has(`tags:${p}`) ? map.conflicts(`tags:${p}`) : [];
      const tagCell = q(`tags-${p}`);
      tagCell.className = concurrent.length > 1 ? "conflict" : "";
      tagCell.textContent = concurrent.map((c) => `${String(c.value)} (${writer(c, names)})`).join(" | ");
    }
    (doc.getElementById("cart") as HTMLElement).textContent = JSON.stringify(map.get("cart:shared") ?? {});
    const status = doc.getElementById("status") as HTMLElement;
    status.textContent = server.status();
    status.dataset["status"] = server.status();
    (doc.getElementById("outbox") as HTMLElement).textContent = String(server.outboxSize());
    const here = new Set<string>([name]);
    for (const s of [server, tabs.session()]) {
      for (const [, state] of s.presence()) {
        const who = state as { name?: unknown } | null;
        if (who !== null && typeof who.name === "string") here.add(who.name);
      }
    }
    (doc.getElementById("presence") as HTMLElement).textContent = [...here].sort().join(", ");
    (doc.getElementById("tabs") as HTMLElement).textContent =
      `tabs: ${tabs.role()}, ${tabs.session().status()}`;
  };
  map.subscribe(draw);
  server.on("status", draw);
  server.on("ack", draw);
  server.on("presence", draw);
  tabs.onChange(draw);
  draw();
}
