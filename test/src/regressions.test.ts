import { createReplicatedMap } from "@converge/core";
import { Reader, Writer } from "@converge/core/codec";
import { lww, multiValue, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { replicaId } from "../kit/replica-ids.ts";

/** Shrunk counterexamples that once found bugs, kept as named tests. */
describe("regressions", () => {
  it("a counter record of the minimal size (8 bytes) decodes — found by the merge-law property", () => {
    // Counterexample: [set lww:x; increment pn:y] in the same millisecond; the second time in the
    // payload is delta-coded to one byte, making the counter record exactly 8 bytes, which the
    // decoder's size guard (then 9) refused as truncated.
    const rules = { default: lww(), keys: { "pn:*": pncounter() } };
    const a = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: "0000000000000001", now: () => 1000 },
    });
    a.set("lww:x", 0);
    a.increment("pn:y", 1);
    const b = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: "0000000000000002", now: () => 1000 },
    });
    b.applyState(a.encodeState());
    expect(b.get("pn:y")).toBe(1);
  });

  it("integers near 2^52 keep their zigzag form exact — found by the codec round-trip property", () => {
    // Counterexample: 4503599627370496 (2^52): its zigzag form 2^53 exceeded the varint limit.
    for (const v of [2 ** 52 - 1, -(2 ** 52 - 1), 0, -1]) {
      const w = new Writer();
      w.int(v);
      expect(new Reader(w.finish()).int()).toBe(v);
    }
    expect(() => new Writer().int(2 ** 52)).toThrow(RangeError);
    const m = createReplicatedMap({
      resolvers: { default: lww() },
      clockOptions: { node: "0000000000000001" },
    });
    for (const v of [2 ** 52, -(2 ** 52), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      m.set("k", v);
      const copy = createReplicatedMap({
        resolvers: { default: lww() },
        clockOptions: { node: "0000000000000002" },
      });
      copy.applyState(m.encodeState());
      expect(copy.get("k")).toBe(v);
    }
  });

  it("lww() called twice is the same resolver, so rules may repeat it — found by the demo", () => {
    expect(lww()).toBe(lww());
    expect(() =>
      createReplicatedMap({ resolvers: { default: lww(), keys: { "price:*": lww<number>() } } }),
    ).not.toThrow();
  });
});

describe("regressions found in review", () => {
  const node = replicaId;

  it("a counter merged past 2^53 - 1 still reads (nearest double), never throws mid-apply", () => {
    const rules = { default: lww(), keys: { "c:*": pncounter() } };
    const make = (n: number) =>
      createReplicatedMap({ resolvers: rules, clockOptions: { node: node(n), now: () => 1000 } });
    const a = make(1);
    const b = make(2);
    a.increment("c:x", 2 ** 52);
    b.increment("c:x", 2 ** 52);
    b.set("z", 1);
    const r = make(3);
    r.applyState(a.encodeState());
    const seen: unknown[] = [];
    r.subscribe((e) => seen.push(...e.changes.map((c) => c.value)));
    r.applyState(b.encodeState());
    expect(r.get("c:x")).toBe(2 ** 53);
    expect(r.get("z")).toBe(1);
    expect(r.versionVector().get(node(2))).toBe(2);
    expect(seen).toContain(2 ** 53);
    expect(() => r.increment("c:x", 1)).toThrow(/safe-integer/);
  });

  it("a listener that throws neither stops the op broadcast nor leaves the operation half done", () => {
    const make = (n: number) =>
      createReplicatedMap({
        resolvers: { default: lww() },
        clockOptions: { node: node(n), now: () => 1000 },
      });
    const a = make(1);
    const b = make(2);
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    const stop = a.subscribe(() => {
      throw new Error("listener bug");
    });
    expect(() => a.set("k", 1)).toThrow(/listener bug/);
    stop();
    a.set("k2", 2);
    for (const op of ops) b.applyOp(op);
    expect(ops).toHaveLength(2);
    expect(Buffer.from(b.encodeState()).equals(Buffer.from(a.encodeState()))).toBe(true);
  });

  it("after compaction a stale copy cannot bring back a deleted value (multi-value)", () => {
    const rules = { default: multiValue() };
    const make = (n: number) =>
      createReplicatedMap({ resolvers: rules, clockOptions: { node: node(n), now: () => 1000 } });
    const [a, b, c, r, r2] = [make(1), make(2), make(3), make(4), make(5)];
    a.set("x", "W");
    c.set("x", "c");
    c.applyState(a.encodeState());
    const stale = c.encodeState(); // holds W and c
    b.applyState(a.encodeState());
    b.delete("x"); // deletes W only (b never saw c)
    for (const m of [a, r, r2]) m.applyState(b.encodeState());
    const everyone = [a, b, c, r2].map((m) => m.versionVector());
    r.compact(everyone);
    r.applyState(stale);
    r2.applyState(stale);
    expect(r.get("x")).toEqual(["c"]);
    expect(r2.get("x")).toEqual(["c"]);
  });

  it("a replica restored from a state whose own ops sit in the cloud does not reuse sequence numbers", () => {
    const make = (state?: Uint8Array) =>
      createReplicatedMap({
        resolvers: { default: lww() },
        clockOptions: { node: node(1), now: () => 1000 },
        ...(state === undefined ? {} : { state }),
      });
    const a = make();
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    a.set("k1", 1);
    a.set("k2", 2);
    a.set("k3", 3);
    const b = createReplicatedMap({
      resolvers: { default: lww() },
      clockOptions: { node: node(2), now: () => 1000 },
    });
    b.applyOp(ops[0] as Uint8Array);
    b.applyOp(ops[2] as Uint8Array);
    const a2 = make(b.encodeState());
    a2.set("k4", 4);
    a2.set("k5", 5);
    b.applyDelta(a2.encodeDelta(b.versionVector()));
    expect(b.get("k5")).toBe(5);
    expect(b.get("k4")).toBe(4);
  });
});
