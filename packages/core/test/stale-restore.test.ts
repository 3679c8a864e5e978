import { describe, expect, it } from "vitest";
import { createReplicatedMap, type ReplicatedMap } from "../src/index.ts";
import { hex, replica, rules } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

// Regression: a replica restored from an older state of its own (a backup, a store that lost its
// last writes) numbered its next write after the seq it had restored, not after the seqs its
// peers sent back. Its next write reused the dot of an operation it had made in its earlier life:
// every peer that had seen that one dropped the new write as a duplicate, for good.
describe("a replica restored from an older state of its own", () => {
  it("numbers its writes past the operations its peers sent back, so none is dropped (regression)", () => {
    const time = { now: 1_764_150_000_000 };
    const a = replica(A, time);
    a.set("x", 1);
    const saved = a.encodeState();
    time.now += 10;
    a.set("x", 2);
    a.set("w", 3);
    const b = replica(B, time);
    b.applyState(a.encodeState());
    // A comes back from the saved state (seq 1) and hears from B first (A's seq 3).
    const restored: ReplicatedMap = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: A, now: () => time.now },
      state: saved,
    });
    restored.applyState(b.encodeState());
    expect([restored.get("x"), restored.get("w")]).toEqual([2, 3]);
    time.now += 10;
    const ops: Uint8Array[] = [];
    restored.onOp((op) => ops.push(op));
    restored.set("y", 9);
    restored.set("mv:n", 4);
    // Each write reaches B, by op and by full state.
    for (const op of ops) expect(b.applyOp(op)).toEqual({ changed: 1, duplicate: false });
    expect([b.get("y"), b.get("mv:n")]).toEqual([9, [4]]);
    const fresh = replica("00000000000000c3", time);
    fresh.applyState(restored.encodeState());
    fresh.applyState(b.encodeState());
    expect([fresh.get("x"), fresh.get("w"), fresh.get("y"), fresh.get("mv:n")]).toEqual([2, 3, 9, [4]]);
    expect(hex(b.encodeState())).toBe(hex(restored.encodeState()));
    expect(restored.versionVector().get(A)).toBe(5);
  });
});
