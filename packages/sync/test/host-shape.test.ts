import { describe, expect, it } from "vitest";
import { type HostDocumentHooks, loadHostDocument } from "../src/_internals/host-document.ts";
import { memoryStore } from "../src/index.ts";
import { rules } from "./fixtures.ts";

// A host keeps one document (keeper, lease table) per name it serves, thousands of them idle: their
// functions live on prototypes every document shares, not in closures each document makes
// (a closure and its context cost ~100 B each, a keeper and a lease table made ~20 of them).
const hooks: HostDocumentHooks<object> = {
  now: () => 1_764_000_000_000,
  leaseMs: 60_000,
  sent: () => undefined,
  compacted: () => {},
  sleepTickMs: 0,
};
const ownFunctions = (o: object): string[] =>
  Object.entries(o)
    .filter(([, v]) => typeof v === "function")
    .map(([k]) => k);

describe("a host document's shape", () => {
  it("shares its keeper's and lease table's functions with every other document, and they still work", async () => {
    const store = memoryStore();
    const [a, b] = await Promise.all([
      loadHostDocument<object>(store, "a", { rules }, undefined, hooks),
      loadHostDocument<object>(store, "b", { rules }, undefined, hooks),
    ]);
    expect(Object.getPrototypeOf(a.keeper)).toBe(Object.getPrototypeOf(b.keeper));
    expect(Object.getPrototypeOf(a.leases)).toBe(Object.getPrototypeOf(b.leases));
    expect([ownFunctions(a.keeper), ownFunctions(a.leases), ownFunctions(a)]).toEqual([[], [], []]);

    // What the functions do is each document's own: a's op lands in a's records and lease only.
    const conn = {};
    const replica = "00000000000000a1";
    a.map.set("k", 1);
    const op = a.map.encodeDelta(b.map.versionVector());
    const welcomed = a.leases.welcomed(conn, replica, a.map.versionVector());
    expect(welcomed?.peer).toBe(replica);
    void a.keeper.append(op);
    await a.keeper.flush();
    const [recA, recB] = await Promise.all([(await store.open("a")).load(), (await store.open("b")).load()]);
    expect([recA.log.length, recB.log.length]).toEqual([1, 0]);
    // The welcome's lease rode along with the commit (the keeper asked the document's hooks).
    expect(recA.peers.map((p) => p.peer)).toEqual([replica]);
    expect([...a.leases.leases().keys()]).toEqual([replica]);
    expect(b.leases.leases().size).toBe(0);
    a.leases.left(conn, replica);
    expect(a.leases.pending().map((r) => r.peer)).toEqual([replica]);
    expect(a.leases.pending()).toEqual([]);
  });
});
