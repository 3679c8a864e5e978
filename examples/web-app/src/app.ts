/**
 * The shop, in a page: a replica kept in IndexedDB, synced with the server over WebSocket and
 * with the other tabs of this browser over BroadcastChannel (so tabs stay in sync with no server
 * at all), carts merged by `cart.js` under QuickJS, presence, and an online indicator.
 */
import type { ReplicatedMap } from "@converge/core";
import { loadQuickJS, scriptResolver } from "@converge/script/browser";
import { indexedDbStore } from "@converge/store-indexeddb";
import { connect, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { adoptRecords } from "./adopt-records.ts";
import { onlineAwareDialer } from "./online-dialer.ts";
import { shopRules } from "./shop.ts";
import { startTabSync, type TabSync } from "./tab-sync.ts";
import { renderShop } from "./view.ts";

export interface ShopPage {
  readonly map: ReplicatedMap;
  readonly server: SyncSession;
  readonly tabs: TabSync;
  readonly name: string;
}

async function main(): Promise<ShopPage> {
  if ("serviceWorker" in navigator) await navigator.serviceWorker.register("./sw.js").catch(() => undefined);
  const params = new URLSearchParams(location.search);
  const name = params.get("name") ?? `guest-${Math.floor(Math.random() * 1000)}`;
  await loadQuickJS({ wasm: new URL("./quickjs.wasm", location.href) });
  const cartSource = await (await fetch("./cart.js")).text();
  const rules = shopRules(scriptResolver({ source: cartSource }));

  const store = indexedDbStore({ name: "converge-shop" });
  const { map, doc } = await adoptRecords(store, rules);
  const server = connect(map, {
    document: "shop",
    dial: onlineAwareDialer(
      webSocketDialer(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/sync`),
    ),
    store: doc,
    backoff: { initialMs: 100, maxMs: 2000 },
  });
  server.setPresence({ name, replica: map.id });
  server.on("error", (e) => {
    if (e.code !== "WEBSOCKET_CONNECT_FAILED") console.warn(`sync: ${e.code}: ${e.message}`);
  });
  server.on("status", (st) => console.info(`sync status: ${st}`));
  const tabs = startTabSync(map, rules, { channel: "converge-shop", name });
  renderShop(document, { map, server, tabs, name });
  return { map, server, tabs, name };
}

const page = main();
(globalThis as { shop?: Promise<ShopPage> }).shop = page;
// The resolved page, for tests and the console.
void page.then((p) => {
  (globalThis as { shopPage?: ShopPage }).shopPage = p;
});
page.catch((e: unknown) => {
  document.body.dataset["error"] = String(e);
  console.error(e);
});
