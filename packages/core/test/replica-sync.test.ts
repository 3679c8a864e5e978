import { describe, expect, it } from "vitest";
import { createReplicatedMap } from "../src/index.ts";
import { hex, replica, rules } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("sync", () => {
  it("seqOf reads the version vector's entry without copying it, for any replica", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    expect(a.seqOf(A)).toBe(0);
    a.set("x", 1);
    a.batch(() => {
      a.set("y", 2);
      a.set("z", 3);
    });
    b.set("w", 4);
    a.applyState(b.encodeState());
    for (const r of [A, B, "00000000000000c3"]) expect(a.seqOf(r)).toBe(a.versionVector().get(r));
    expect(a.seqOf(A)).toBe(3);
    expect(a.seqOf(B)).toBe(1);
    expect(a.seqOf("00000000000000c3")).toBe(0);
  });

  it("deltas carry only what changed and converge", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    for (let i = 0; i < 500; i++) a.set(`k${i}`, i);
    b.applyDelta(a.encodeDelta(b.versionVector()));
    a.set("k7", "changed");
    const delta = a.encodeDelta(b.versionVector());
    expect(delta.length).toBeLessThan(100);
    b.applyDelta(delta);
    expect(b.get("k7")).toBe("changed");
    expect(hex(b.encodeState())).toBe(hex(a.encodeState()));
  });

  it("concurrent lww writes: highest HLC wins, the other stays visible", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    a.set("price", 100);
    t.now += 5;
    b.set("price", 120);
    a.applyState(b.encodeState());
    b.applyState(a.encodeState());
    expect(a.get("price")).toBe(120);
    expect(b.get("price")).toBe(120);
    expect(a.conflicts("price").map((c) => c.value)).toEqual([120, 100]);
    // A write that saw both replaces them.
    a.set("price", 99);
    b.applyDelta(a.encodeDelta(b.versionVector()));
    expect(b.conflicts("price").map((c) => c.value)).toEqual([99]);
  });

  it("duplicate and reordered ops are idempotent", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    a.set("x", 1);
    a.set("x", 2);
    a.set("y", 3);
    const b = replica(B, t);
    expect(b.applyOp(ops[2] as Uint8Array).duplicate).toBe(false);
    expect(b.applyOp(ops[1] as Uint8Array).duplicate).toBe(false);
    expect(b.applyOp(ops[1] as Uint8Array).duplicate).toBe(true);
    expect(b.applyOp(ops[0] as Uint8Array).changed).toBe(0);
    expect(b.get("x")).toBe(2);
    expect(b.versionVector().get(A)).toBe(3);
    expect(hex(b.encodeState())).toBe(hex(a.encodeState()));
  });

  it("a replica restarted from its encoded state continues its sequence numbers", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    a.set("x", 1);
    a.set("y", 2);
    const restarted = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: A, now: () => t.now },
      state: a.encodeState(),
    });
    restarted.set("z", 3);
    expect(restarted.versionVector().get(A)).toBe(3);
    const b = replica(B, t);
    b.applyState(a.encodeState());
    b.applyDelta(restarted.encodeDelta(b.versionVector()));
    expect(b.get("z")).toBe(3);
  });
});
