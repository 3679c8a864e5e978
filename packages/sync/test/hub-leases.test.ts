import { describe, expect, it } from "vitest";
import { FLOOR_PEER } from "../src/_internals/lease-table.ts";
import {
  connect,
  createSyncHost,
  decodeVersionVector,
  type HostOptions,
  memoryHubNetwork,
  memoryStore,
  type Store,
  type Timers,
} from "../src/index.ts";
import { dialTo, newMap, rules, settle } from "./fixtures.ts";

/** The compaction floor a host stored for "shop" (its `~floor` peer record), by replica. */
async function storedFloor(store: Store, replica: string): Promise<number | undefined> {
  const doc = await (await store.open("shop")).load();
  const rec = doc.peers.find((p) => p.peer === FLOOR_PEER);
  return rec === undefined ? undefined : decodeVersionVector(rec.vector).get(replica);
}

/** A host whose log folds (and compacts) at every second append. */
const folding = (store: Store, extra: Partial<HostOptions> = {}) =>
  createSyncHost({
    documents: (name) => (name === "shop" ? { rules } : undefined),
    store,
    storePolicy: { compactBytes: 1 },
    hubDigestMs: 0,
    ...extra,
  });

/** A client of `host` writes and deletes a few keys; resolves once they are acknowledged. */
async function writeThrough(host: ReturnType<typeof folding>, map = newMap()): Promise<string> {
  const session = connect(map, { document: "shop", dial: dialTo(host) });
  await session.whenSynced();
  map.set("title", "one");
  map.set("gone", "soon");
  map.delete("gone");
  map.set("title", "two");
  await settle();
  await session.whenSynced();
  await session.close();
  return map.id;
}

describe("compaction on a host in a cluster", () => {
  it("never passes what a live peer host has: the floor is held back by the peer's digest", async () => {
    const net = memoryHubNetwork();
    const storeA = memoryStore();
    const a = folding(storeA, { hub: net.member() });
    const b = folding(memoryStore(), { hub: net.member() });
    await a.document("shop");
    await b.document("shop"); // B joins and digests its empty vector; A records it
    await settle();
    net.setDown(true); // B hears nothing more of A's writes
    const writer = await writeThrough(a);
    expect(await storedFloor(storeA, writer)).toBe(0);
    await a.close();
    await b.close();
  });

  it("remembers a peer host's vector across its own restart (a stored ~host: lease)", async () => {
    const net = memoryHubNetwork();
    const storeA = memoryStore();
    // The records outlive the host (a closing host closes its store; this one stays open).
    const kept: Store = { ...storeA, close: async () => {} };
    const a = folding(kept, { hub: net.member() });
    const b = folding(memoryStore(), { hub: net.member() });
    await a.document("shop");
    await b.document("shop");
    await settle();
    const client = newMap();
    await writeThrough(a, client); // its commits carry B's lease into A's store
    await a.close();
    net.setDown(true); // the restarted A hears nothing from B before it compacts
    const again = folding(kept, { hub: net.member() });
    // The same client, back on the restarted host: only B's stored lease holds its writes back.
    const writer = await writeThrough(again, client);
    expect(await storedFloor(storeA, writer)).toBe(0);
    await again.close();
    await b.close();
  });

  it("a host alone compacts up to its clients' leases (the control for the test above)", async () => {
    const store = memoryStore();
    const a = folding(store);
    const writer = await writeThrough(a);
    expect(await storedFloor(store, writer)).toBeGreaterThan(0);
    await a.close();
  });

  it("a peer host silent for a whole lease no longer holds the floor back", async () => {
    let now = 1_000_000;
    const timers: Timers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      now: () => now,
    };
    const net = memoryHubNetwork();
    const storeA = memoryStore();
    const a = folding(storeA, { hub: net.member(), timers, leaseMs: 60_000 });
    const b = folding(memoryStore(), { hub: net.member(), timers, leaseMs: 60_000 });
    await a.document("shop");
    await b.document("shop");
    await settle();
    net.setDown(true);
    now += 61_000; // B's digest is older than a lease now
    const writer = await writeThrough(a);
    expect(await storedFloor(storeA, writer)).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });
});
