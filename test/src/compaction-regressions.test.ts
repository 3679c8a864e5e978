import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww, multiValue, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { replicaId } from "../kit/replica-ids.ts";

/**
 * The three ways compaction once lost or resurrected data (issue 9), each through the public API
 * and checked against what the operations say the keys must read, not only replicas against
 * each other.
 */
const rules = { default: lww(), keys: { "c:*": pncounter(), "mv:*": multiValue<string>() } };

function replica(n: number): ReplicatedMap {
  return createReplicatedMap({
    resolvers: rules,
    clockOptions: { node: replicaId(n), now: () => 1_000 },
  });
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("compaction regressions", () => {
  // Shrunk from test/src/harness.test.ts (gcounter, seed 1245021735): r0 compacted a counter record
  // that r1 had already extended concurrently with r0's delete; r1's op from before it saw the
  // delete then counted the deleted increment again.
  it("an increment concurrent with a delete counts once, even if the deleter compacts first", () => {
    const r0 = replica(1);
    const r1 = replica(2);
    r1.increment("c:b", 1);
    r0.applyState(r1.encodeState());
    const ops: Uint8Array[] = [];
    const off = r1.onOp((op) => ops.push(op));
    r1.increment("c:b", 1); // concurrent with r0's delete below
    off();
    r0.delete("c:b"); // removes the one increment r0 has seen
    r1.applyState(r0.encodeState());
    expect(r1.get("c:b")).toBe(1);
    r0.compact([r1.versionVector()]);
    r0.applyOp(ops[0] as Uint8Array);
    expect(r0.get("c:b")).toBe(1); // was 2: the deleted increment came back
    r0.applyState(r1.encodeState());
    r1.applyState(r0.encodeState());
    expect([r0.get("c:b"), r1.get("c:b")]).toEqual([1, 1]);
    r0.compact([r1.versionVector()]);
    r1.compact([r0.versionVector()]);
    expect(hex(r0.encodeState())).toBe(hex(r1.encodeState()));
  });

  it("an increment made after compacting a deleted counter is never lost (lost increment)", () => {
    const a = replica(1);
    const b = replica(2);
    a.increment("c:z", 5);
    b.applyState(a.encodeState());
    a.delete("c:z");
    b.applyState(a.encodeState());
    a.compact([b.versionVector()]);
    a.increment("c:z", 1);
    expect(a.get("c:z")).toBe(1);
    b.applyState(a.encodeState());
    expect(b.get("c:z")).toBe(1); // was: absent — B's old running total outweighed A's new one
    a.applyState(b.encodeState());
    expect(a.get("c:z")).toBe(1);
    b.compact([a.versionVector()]);
    a.compact([b.versionVector()]);
    expect(hex(a.encodeState())).toBe(hex(b.encodeState()));
  });

  it("a state saved before a delete cannot bring values back after a re-write (resurrection)", () => {
    const [a, b, c] = [replica(1), replica(2), replica(3)];
    a.increment("c:k", 5);
    a.set("mv:k", "old");
    const stale = a.encodeState();
    a.delete("c:k");
    a.delete("mv:k");
    const all = [a, b, c];
    for (const x of all) for (const y of all) if (x !== y) x.applyState(y.encodeState());
    for (const x of all) x.compact(all.filter((y) => y !== x).map((y) => y.versionVector()));
    c.increment("c:k", 1);
    c.set("mv:k", "new");
    for (const x of [a, b]) x.applyState(c.encodeState());
    for (const x of all) {
      x.applyState(stale);
      expect(x.get("c:k")).toBe(1); // was 6
      expect(x.get("mv:k")).toEqual(["new"]); // was ["new", "old"]
    }
    // Deleted again first: the stale copy must not refill the absent key.
    c.delete("c:k");
    c.delete("mv:k");
    for (const x of [a, b]) x.applyState(c.encodeState());
    for (const x of all) {
      x.applyState(stale);
      expect(x.has("c:k")).toBe(false);
      expect(x.has("mv:k")).toBe(false);
    }
    const bytes = all.map((x) => hex(x.encodeState()));
    expect(new Set(bytes).size).toBe(1);
  });

  it("replicas that compact at different times reach the same bytes again (bytes diverge)", () => {
    const [a, b, c] = [replica(1), replica(2), replica(3)];
    const all = [a, b, c];
    const sync = (): void => {
      for (const x of all) for (const y of all) if (x !== y) x.applyState(y.encodeState());
    };
    a.increment("c:k", 3);
    c.increment("c:k", 2);
    sync();
    b.delete("c:k");
    sync();
    // Only A compacts; C, which has not, counts on the key again.
    a.compact([b.versionVector(), c.versionVector()]);
    c.increment("c:k", 1);
    sync();
    for (const x of all) expect(x.get("c:k")).toBe(1);
    const vectors = all.map((x) => x.versionVector());
    all.forEach((x, i) => {
      x.compact(vectors.filter((_, j) => j !== i));
    });
    const bytes = all.map((x) => hex(x.encodeState()));
    expect(new Set(bytes).size).toBe(1); // was 78 bytes on A, 94 on B and C, for good
    for (const x of all) expect(x.get("c:k")).toBe(1);
  });

  it("a live register's overwritten metadata is collected once every operation on it is stable", () => {
    const [a, b] = [replica(1), replica(2)];
    a.set("k", "one");
    const stale = a.encodeState();
    b.applyState(stale);
    b.set("k", "two");
    a.applyState(b.encodeState());
    const before = a.encodeState().length;
    a.compact([b.versionVector()]);
    b.compact([a.versionVector()]);
    expect(a.encodeState().length).toBeLessThan(before);
    expect(hex(a.encodeState())).toBe(hex(b.encodeState()));
    // The overwritten value stays overwritten, even from a stale copy.
    for (const x of [a, b]) {
      x.applyState(stale);
      expect(x.get("k")).toBe("two");
      expect(x.conflicts("k")).toHaveLength(1);
    }
    expect(hex(a.encodeState())).toBe(hex(b.encodeState()));
  });
});
