import type { ReplicatedMap } from "@converge/core";
import { rulesFromManifest } from "@converge/rules";
import { createServer } from "@converge/server";
import { connect, openDocument, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";

/** What the sync demo found, for tests. */
export interface SyncDemoOutcome {
  /** Every replica's and the server's state encode to the same bytes. */
  readonly converged: boolean;
  /** The values everyone reads at the end. */
  readonly stock: unknown;
  readonly price: unknown;
  readonly tags: unknown;
  readonly note: unknown;
}

// The shop's rules, as an operator writes them; replicas get them from the server.
const rules = {
  default: { resolver: "lww" },
  keys: {
    "stock:*": { resolver: "pncounter" },
    "price:*": { resolver: "lww" },
    "tags:*": { resolver: "multiValue" },
  },
};

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Waits until `check()` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const show = (m: ReplicatedMap): string =>
  [...m.entries()].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("  ");

/**
 * A converge server and three replicas (a till, a web shop and a phone) over WebSocket on
 * localhost. The phone goes offline, edits, comes back; everyone converges to what the edits say.
 */
export async function runSyncDemo(log: (line: string) => void): Promise<SyncDemoOutcome> {
  const server = await createServer({ port: 0, rules });
  log(`server listening on ${server.url}`);
  const dial = webSocketDialer(server.url, { connectTimeoutMs: 5000 });
  const open = (): Promise<SyncSession> =>
    openDocument({
      document: "shop",
      dial,
      rules: rulesFromManifest,
      backoff: { initialMs: 50, maxMs: 500 },
    });
  const sessions = new Map<string, SyncSession>();
  try {
    const till = await open();
    const web = await open();
    let phone = await open();
    sessions.set("till", till).set("web", web).set("phone", phone);
    log("till, web and phone joined document shop (rules from the server's manifest)");
    const replicas = (): ReplicatedMap[] => [till.map, web.map, phone.map];
    const serverDoc = await server.sync.document("shop");
    const converged = (): boolean => {
      const states = [...replicas(), serverDoc].map((m) => m.encodeState());
      return states.every((s) => same(s, states[0] as Uint8Array));
    };

    till.map.increment("stock:apple", 20);
    till.map.set("price:apple", 120);
    await until(() => converged() && web.map.get("stock:apple") === 20, 10_000, "the first sync");
    log(`till stocked 20 apples at 120; everyone reads: ${show(web.map)}`);

    await phone.close();
    log("phone goes offline");
    phone.map.decrement("stock:apple", 2);
    phone.map.set("tags:apple", "organic");
    phone.map.set("note", "sold 2 at the market");
    log(`phone, offline, sold 2 apples and tagged them: ${show(phone.map)}`);
    web.map.increment("stock:apple", 5);
    web.map.set("price:apple", 119);
    web.map.set("tags:apple", "seasonal");
    await until(() => till.map.get("price:apple") === 119, 10_000, "web's edits to reach the till");
    log(`web restocked 5 and set the price to 119; the till reads: ${show(till.map)}`);

    phone = connect(phone.map, { document: "shop", dial, backoff: { initialMs: 50, maxMs: 500 } });
    sessions.set("phone", phone);
    await phone.whenSynced();
    log("phone is back online");
    await until(converged, 10_000, "convergence");
    const ok = converged();
    log(`everyone reads: ${show(till.map)}`);
    log(`all three replicas and the server converged: ${ok ? "yes" : "no"}`);
    return {
      converged: ok,
      stock: till.map.get("stock:apple"),
      price: till.map.get("price:apple"),
      tags: till.map.get("tags:apple"),
      note: till.map.get("note"),
    };
  } finally {
    for (const s of sessions.values()) await s.close();
    await server.close();
  }
}
