import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChangeEvent, createReplicatedMap, isConvergeError, versionVector } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { caught, hex, replica, rules, testLww, testMv } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("key rules", () => {
  it("exact beats any pattern, the longest prefix wins, order of listing does not matter", () => {
    const one = compileKeyRules({ default: testLww, keys: { "a*": testMv, "ab*": testLww, abc: testMv } });
    const two = compileKeyRules({ default: testLww, keys: { abc: testMv, "ab*": testLww, "a*": testMv } });
    expect(one.resolverFor("abc")).toBe(testMv);
    expect(one.resolverFor("abd")).toBe(testLww);
    expect(one.resolverFor("ax")).toBe(testMv);
    expect(one.resolverFor("zzz")).toBe(testLww);
    expect(hex(one.fingerprint)).toBe(hex(two.fingerprint));
  });

  it("refuses a * inside a pattern and two resolvers sharing a name", () => {
    expect(
      isConvergeError(
        caught(() => compileKeyRules({ default: testLww, keys: { "a*b": testMv } })),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
    const twin = { ...testMv, id: testLww.id };
    expect(
      isConvergeError(
        caught(() => compileKeyRules({ default: testLww, keys: { x: twin } })),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
  });
});

describe("reads and local writes", () => {
  it("tracks size, has, get, entries and conflicts", () => {
    const t = { now: 1000 };
    const m = replica(A, t);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 3);
    expect(m.size).toBe(2);
    expect(m.get("a")).toBe(3);
    expect(m.delete("a")).toBe(true);
    expect(m.delete("a")).toBe(false);
    expect(m.has("a")).toBe(false);
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(1);
    expect([...m.entries()]).toEqual([["b", 2]]);
    expect([...m.keys()]).toEqual(["b"]);
    expect(m.conflicts("b").map((c) => [c.value, c.replica, c.seq])).toEqual([[2, A, 2]]);
    expect(m.conflicts("nothing")).toEqual([]);
  });

  it("emits local and remote change events", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    const events: ChangeEvent[] = [];
    const stop = b.subscribe((e) => events.push(e));
    b.set("x", 1);
    a.set("y", 2);
    b.applyState(a.encodeState());
    b.delete("x");
    stop();
    b.set("z", 3);
    expect(events.map((e) => [e.origin, e.changes.map((c) => [c.key, c.previous, c.value])])).toEqual([
      ["local", [["x", undefined, 1]]],
      ["remote", [["y", undefined, 2]]],
      ["local", [["x", 1, undefined]]],
    ]);
  });
});

describe("snapshots", () => {
  it("are immutable views that later writes and merges never touch", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    a.set("a", 1);
    a.set("b", 2);
    const s1 = a.snapshot();
    a.set("a", 10);
    a.delete("b");
    a.set("c", 3);
    const s2 = a.snapshot();
    b.set("d", 4);
    a.applyState(b.encodeState());
    a.set("a", 100);
    const s3 = a.snapshot();
    const dump = (s: typeof s1) => JSON.stringify([...s.entries()].sort());
    expect(dump(s1)).toBe(
      JSON.stringify([
        ["a", 1],
        ["b", 2],
      ]),
    );
    expect(s1.size).toBe(2);
    expect(s1.has("c")).toBe(false);
    expect(dump(s2)).toBe(
      JSON.stringify([
        ["a", 10],
        ["c", 3],
      ]),
    );
    expect(s2.get("b")).toBeUndefined();
    expect(dump(s3)).toBe(
      JSON.stringify([
        ["a", 100],
        ["c", 3],
        ["d", 4],
      ]),
    );
    expect(s1.versionVector.get(A)).toBe(2);
    expect(s3.versionVector.get(B)).toBe(1);
  });

  it("taking one without writes in between reuses the same link (O(1), no chain growth)", () => {
    const a = replica(A, { now: 1000 });
    for (let i = 0; i < 1000; i++) a.set(`k${i}`, i);
    const first = a.snapshot();
    for (let i = 0; i < 1000; i++) a.snapshot();
    a.set("k0", -1);
    expect(first.get("k0")).toBe(0);
    expect(a.snapshot().get("k0")).toBe(-1);
  });

  it("every snapshot equals the map at the time it was taken (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("set", "del", "snap"), fc.constantFrom("a", "b", "c"), fc.nat(9)), {
          maxLength: 40,
        }),
        (steps) => {
          const m = replica(A, { now: 1000 });
          const taken: [ReturnType<typeof m.snapshot>, string][] = [];
          const dump = (it: Iterable<[string, unknown]>) => JSON.stringify([...it].sort());
          for (const [op, key, v] of steps) {
            if (op === "set") m.set(key, v);
            else if (op === "del") m.delete(key);
            else taken.push([m.snapshot(), dump(m.entries())]);
          }
          for (const [snap, expected] of taken) expect(dump(snap.entries())).toBe(expected);
        },
      ),
    );
  });
});

describe("sync", () => {
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

describe("chunked asynchronous apply", () => {
  it("equals the blocking apply at the end of decoding, with the writes made before and after it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(59), fc.nat(9)), { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(59), fc.oneof(fc.nat(9), fc.constant(-1))), { maxLength: 12 }),
        fc.integer({ min: 1, max: 16 }),
        async (remoteWrites, localWrites, chunkSize) => {
          const build = () => {
            const t = { now: 1000 };
            const a = replica(A, t);
            const b = replica(B, t);
            for (let i = 0; i < 60; i++) a.set(`k${i}`, i);
            b.applyState(a.encodeState());
            for (const [k, v] of remoteWrites) b.set(`k${k}`, v);
            return { a, b, payload: b.encodeState() };
          };
          const write = (m: ReturnType<typeof replica>, [k, v]: [number, number]) =>
            v < 0 ? m.delete(`k${k}`) : m.set(`k${k}`, v * 100);
          const blocking = build();
          const chunked = build();
          // Writes made while decoding come before the merge; writes made while merging come after.
          let next = 0;
          let beforeMerge = 0;
          await chunked.a.applyAsync(chunked.payload, {
            chunkSize,
            yieldTo: async (phase) => {
              const w = localWrites[next++];
              if (w === undefined) return;
              if (phase === "decode") beforeMerge = next;
              write(chunked.a, w);
            },
          });
          for (const w of localWrites.slice(0, beforeMerge)) write(blocking.a, w);
          blocking.a.applyState(blocking.payload);
          for (const w of localWrites.slice(beforeMerge)) write(blocking.a, w);
          for (; next < localWrites.length; next++) write(chunked.a, localWrites[next] as [number, number]);

          const dump = (m: ReturnType<typeof replica>) => JSON.stringify([...m.entries()].sort());
          expect(dump(chunked.a)).toBe(dump(blocking.a));
          expect(hex(chunked.a.encodeState())).toBe(hex(blocking.a.encodeState()));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses a bad payload before changing anything", async () => {
    const a = replica(A, { now: 1000 });
    a.set("x", 1);
    const before = hex(a.encodeState());
    const error = await a.applyAsync(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(isConvergeError(error)).toBe(true);
    expect(hex(a.encodeState())).toBe(before);
  });
});

describe("compaction", () => {
  it("collects tombstones and causal metadata every replica has seen, never changing a value", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    a.set("gone", 1);
    a.set("kept", 1);
    b.set("kept", 2);
    b.applyState(a.encodeState());
    a.applyState(b.encodeState());
    a.delete("gone");
    b.applyState(a.encodeState());
    const view = (m: typeof a) => JSON.stringify([...m.entries()].sort());
    const before = view(a);
    const sizeBefore = a.encodeState().length;
    // b has not told a what it has seen: nothing can go.
    expect(a.compact([versionVector()])).toBe(0);
    expect(a.compact([b.versionVector()])).toBeGreaterThan(0);
    expect(view(a)).toBe(before);
    expect(a.encodeState().length).toBeLessThan(sizeBefore);
    // A stale copy of the deleted key cannot resurrect it.
    a.applyState(b.encodeState());
    expect(a.has("gone")).toBe(false);
    expect(view(a)).toBe(before);
    // Deltas still work after compaction.
    b.set("fresh", 5);
    a.applyDelta(b.encodeDelta(a.versionVector()));
    expect(a.get("fresh")).toBe(5);
  });
});

describe("snapshot iteration", () => {
  it("never shows writes made while the snapshot is being iterated — found in review", () => {
    const m = replica(A, { now: 1000 });
    for (const k of ["a", "b", "c"]) m.set(k, 1);
    const snap = m.snapshot();
    const it = snap.entries();
    it.next();
    m.set("b", 2);
    m.set("zz", 9);
    m.delete("c");
    const rest = [...it];
    const seen = new Map([...rest]);
    expect(seen.has("zz")).toBe(false);
    expect([...snap.entries()].sort()).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 1],
    ]);
    for (const [k, v] of rest) expect(v).toBe(snap.get(k));
  });
});

describe("the apply fast lane", () => {
  it("reaches the same bytes as the general path (forced by a listener)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(2), fc.constantFrom("a", "b", "c", "mv:d"), fc.nat(5), fc.boolean()), {
          maxLength: 40,
        }),
        fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { maxLength: 20 }),
        (writes, syncs) => {
          const t = { now: 1000 };
          const nodes = [A, B, "00000000000000c3"];
          const sources = nodes.map((n) => replica(n, t));
          for (const [r, k, v, del] of writes) {
            const m = sources[r] as ReturnType<typeof replica>;
            if (del) m.delete(k);
            else m.set(k, v);
          }
          for (const [from, to] of syncs) {
            if (from !== to)
              (sources[to] as ReturnType<typeof replica>).applyState(
                (sources[from] as ReturnType<typeof replica>).encodeState(),
              );
          }
          const fast = replica("00000000000000f1", t);
          const slow = replica("00000000000000f1", t);
          slow.subscribe(() => {});
          for (const m of sources) {
            const bytes = m.encodeState();
            fast.applyState(bytes);
            slow.applyState(bytes);
          }
          expect(hex(fast.encodeState())).toBe(hex(slow.encodeState()));
          expect(JSON.stringify([...fast.entries()].sort())).toBe(JSON.stringify([...slow.entries()].sort()));
          expect(fast.size).toBe(slow.size);
        },
      ),
    );
  });
});

describe("the sorted key walk", () => {
  it("finds stored keys like hashing does, ASCII or not", () => {
    const keyArb = fc.oneof(
      fc.constantFrom("a", "b", "é", "z", "ü1", "a\u00e9", "\u{1f600}"),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 30 }),
        fc.uniqueArray(keyArb, { maxLength: 30 }),
        (mine, theirs) => {
          const t = { now: 1000 };
          const source = replica(B, t);
          for (const k of theirs) source.set(k, k.length);
          const payload = source.encodeState();
          const base = replica(A, t);
          const ops: Uint8Array[] = [];
          base.onOp((op) => ops.push(op));
          for (const k of [...mine].sort()) base.set(k, 1);
          // `sorted` got its keys in sorted order (walked); `shuffled` in reverse, op by op (hashed).
          const sorted = replica("00000000000000c3", t);
          sorted.applyState(base.encodeState());
          const shuffled = replica("00000000000000c3", t);
          for (const op of [...ops].reverse()) shuffled.applyOp(op);
          expect(hex(shuffled.encodeState())).toBe(hex(sorted.encodeState()));
          sorted.applyState(payload);
          shuffled.applyState(payload);
          expect(hex(sorted.encodeState())).toBe(hex(shuffled.encodeState()));
          expect(sorted.size).toBe(new Set([...mine, ...theirs]).size);
        },
      ),
    );
  });
});
