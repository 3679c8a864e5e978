/**
 * The shop, in a page: a replica kept in IndexedDB, synced with the server over WebSocket and
 * with the other tabs of this browser over BroadcastChannel (so tabs stay in sync with no server
 * at all), carts merged by `cart.js` under QuickJS, presence, and an online indicator.
 */
import type { ReplicatedMap } from "@converge/core";
import { loadQuickJS, scriptResolver } from "@converge/script/browser";
import { indexedDbStore } from "@converge/store-indexeddb";
import { connect, loadReplica, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
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
  // A tab keeps its own records (one writer per stored document); a reload finds them again.
  let tab = sessionStorage.getItem("converge-tab");
  if (tab === null) {
    tab = crypto.randomUUID();
    sessionStorage.setItem("converge-tab", tab);
  }

  await loadQuickJS({ wasm: new URL("./quickjs.wasm", location.href) });
  const cartSource = await (await fetch("./cart.js")).text();
  const rules = shopRules(scriptResolver({ source: cartSource }));

  const store = indexedDbStore({ name: "converge-shop" });
  const doc = await store.open(`shop/${tab}`);
  // A new replica id on every load: the stored state comes back, and no sequence number of an
  // earlier life can be reused.
  const { map } = loadReplica(await doc.load(), { resolvers: rules });
  const server = connect(map, {
    document: "shop",
    dial: webSocketDialer(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/sync`),
    store: doc,
    backoff: { initialMs: 100, maxMs: 2000 },
  });
  server.setPresence({ name, replica: map.id });
  const tabs = startTabSync(map, rules, { channel: "converge-shop", name });
  renderShop(document, { map, server, tabs, name });
  return { map, server, tabs, name };
}

const page = main();
(globalThis as { shop?: Promise<ShopPage> }).shop = page;
page.catch((e: unknown) => {
  document.body.dataset["error"] = String(e);
  console.error(e);
});
