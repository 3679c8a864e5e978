import { createReplicatedMap, versionVector } from "@converge/core";
import { describe, expect, it } from "vitest";
import { FLOOR_PEER, leaseTable } from "../src/_internals/lease-table.ts";
import { decodeVersionVector } from "../src/index.ts";
import { rules } from "./fixtures.ts";

const A = "aaaaaaaaaaaaaaaa";
const B = "bbbbbbbbbbbbbbbb";
const C = "cccccccccccccccc";

/**
 * The lease table keeps one lease per replica, naming the connection that refreshes it while it
 * is open: acks, leaves and compaction must move each replica's lease as that connection was
 * welcomed, acked and sent, and a connection whose replica said hello again on another must no
 * longer move it.
 */
describe("a document's lease table", () => {
  it("tracks one, then several, then one connection again, acks and compaction each to the right replica", () => {
    let now = 1000;
    const sent = new Map<object, ReturnType<typeof versionVector>>();
    const table = leaseTable<object>([], { now: () => now, leaseMs: 60_000, sent: (c) => sent.get(c) });
    const [ca, cb, cc] = [{}, {}, {}];
    expect(table.welcomed(ca, A, versionVector({ [A]: 1 }))?.peer).toBe(A);
    expect(table.pending().map((r) => r.peer)).toEqual([A]); // the welcome's record is pending too
    expect(table.pending()).toEqual([]);
    table.acked(ca, A, versionVector({ [A]: 2 }));
    now = 2000;
    table.welcomed(cb, B, versionVector({ [B]: 1 }));
    table.welcomed(cc, C, versionVector({ [C]: 4 }));
    table.acked(cb, B, versionVector({ [A]: 2, [B]: 3 }));
    table.acked({}, A, versionVector({ [A]: 9 })); // not a connection: nothing
    // The welcomes' records; A's ack moved its lease in memory only (no encode per ack).
    expect(table.pending().map((r) => r.peer)).toEqual([B, C]);
    expect(table.leases().get(B)?.vector.get(B)).toBe(3);
    expect(table.leases().get(A)?.vector.get(A)).toBe(2);
    table.left(cb, B);
    table.left(cc, C);
    now = 3000;
    table.acked(ca, A, versionVector({ [A]: 5 }));
    table.acked(cb, B, versionVector({ [B]: 7 })); // left: nothing
    expect(table.leases().get(B)?.vector.get(B)).toBe(3);
    // B and C left: their last acknowledged leases ride along with the next commit.
    expect(table.pending().map((r) => [r.peer, decodeVersionVector(r.vector).get(r.peer), r.seenAt])).toEqual(
      [
        [B, 3, 2000],
        [C, 4, 2000],
      ],
    );
    expect(table.pending()).toEqual([]); // A's ack at 3000 waits for the compaction
    // Compaction moves the one connection left to what it was sent, and writes the floor.
    sent.set(ca, versionVector({ [A]: 6 }));
    const map = createReplicatedMap({ resolvers: rules });
    const batch = table.compact(map);
    expect(batch.peers.map((p) => p.peer)).toEqual([FLOOR_PEER, A]);
    expect(decodeVersionVector(batch.peers[1]?.vector ?? new Uint8Array()).get(A)).toBe(6);
    expect(table.leases().get(A)?.vector.get(A)).toBe(6);
    expect(table.leases().get(C)?.vector.get(C)).toBe(4); // left, still leased
    // A new connection after the others left is tracked inline again.
    const cd = {};
    table.welcomed(cd, C, versionVector({ [C]: 8 }));
    table.acked(cd, C, versionVector({ [C]: 9 }));
    expect(table.leases().get(C)?.vector.get(C)).toBe(9);
  });

  it("drops expired leases at compaction and reports them removed, dirty or not", () => {
    let now = 0;
    const table = leaseTable<object>([], { now: () => now, leaseMs: 100, sent: () => undefined });
    const [ca, cb] = [{}, {}];
    table.welcomed(ca, A, versionVector({ [A]: 1 }));
    table.welcomed(cb, B, versionVector({ [B]: 1 }));
    table.left(ca, A);
    table.left(cb, B);
    now = 50;
    table.heard("m1", versionVector({ [A]: 1 }));
    now = 120;
    const batch = table.compact(createReplicatedMap({ resolvers: rules }));
    expect([...batch.removePeers].sort()).toEqual([A, B]);
    expect(batch.peers.map((p) => p.peer)).toEqual([FLOOR_PEER, "~host:m1"]);
    expect(table.pending()).toEqual([]);
  });

  it("moves a replica's lease with its latest connection only, when it says hello again before the old one closes", () => {
    let now = 1000;
    const sent = new Map<object, ReturnType<typeof versionVector>>();
    const table = leaseTable<object>([], { now: () => now, leaseMs: 60_000, sent: (c) => sent.get(c) });
    const [old, fresh] = [{}, {}];
    table.welcomed(old, A, versionVector({ [A]: 1 }));
    table.acked(old, A, versionVector({ [A]: 2 }));
    now = 2000;
    table.welcomed(fresh, A, versionVector({ [A]: 5 }));
    table.pending();
    // The old connection's late ack and its close leave the new connection's lease alone.
    table.acked(old, A, versionVector({ [A]: 3 }));
    table.left(old, A);
    expect(table.pending()).toEqual([]);
    expect(table.leases().get(A)?.vector.get(A)).toBe(5);
    table.acked(fresh, A, versionVector({ [A]: 6 }));
    expect(table.leases().get(A)?.vector.get(A)).toBe(6);
    // Compaction refreshes the lease to what the open connection was sent, not the closed one.
    sent.set(old, versionVector({ [A]: 4 }));
    sent.set(fresh, versionVector({ [A]: 7 }));
    now = 3000;
    const batch = table.compact(createReplicatedMap({ resolvers: rules }));
    const a = batch.peers.find((p) => p.peer === A);
    expect(a === undefined ? undefined : [decodeVersionVector(a.vector).get(A), a.seenAt]).toEqual([7, 3000]);
    // Once the new connection leaves, the lease is no longer refreshed by compaction.
    table.left(fresh, A);
    sent.set(fresh, versionVector({ [A]: 9 }));
    now = 4000;
    table.compact(createReplicatedMap({ resolvers: rules }));
    expect([table.leases().get(A)?.vector.get(A), table.leases().get(A)?.seenAt]).toEqual([7, 3000]);
  });
});
