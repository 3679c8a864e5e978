import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, replica } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("the apply fast lane", () => {
  it("reaches the same bytes as the general path (forced by a live snapshot), with or without a listener", () => {
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
          const listened = replica("00000000000000f1", t);
          listened.subscribe(() => {});
          const slow = replica("00000000000000f1", t);
          // A snapshot the merge must not show through: the apply takes the general path.
          const views = [slow.snapshot()];
          for (const m of sources) {
            const bytes = m.encodeState();
            const results = [fast.applyState(bytes), listened.applyState(bytes), slow.applyState(bytes)];
            views.push(slow.snapshot());
            expect(results[1]).toEqual(results[2]);
            expect(results[0]).toEqual(results[2]);
          }
          for (const m of [fast, listened]) {
            expect(hex(m.encodeState())).toBe(hex(slow.encodeState()));
            expect(JSON.stringify([...m.entries()])).toBe(JSON.stringify([...slow.entries()]));
            expect(m.size).toBe(slow.size);
          }
          expect(views[0]?.size).toBe(0);
        },
      ),
    );
  });
});

describe("the sorted key walk", () => {
  it("finds stored keys like hashing does, ASCII or not, over slots in order or a cached sort", () => {
    const keyArb = fc.oneof(
      fc.constantFrom("a", "b", "é", "z", "ü1", "a\u00e9", "\u{1f600}"),
      fc.string({ maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { maxLength: 30 }),
        fc.uniqueArray(keyArb, { maxLength: 30 }),
        fc.array(fc.nat(29), { maxLength: 8 }),
        (mine, theirs, deletes) => {
          const t = { now: 1000 };
          const source = replica(B, t);
          for (const k of theirs) source.set(k, k.length);
          const payload = source.encodeState();
          const base = replica(A, t);
          const ops: Uint8Array[] = [];
          base.onOp((op) => ops.push(op));
          const mineSorted = [...mine].sort();
          for (const k of mineSorted) base.set(k, 1);
          // Deleted keys free slots that later keys reuse (the slots leave key order).
          for (const d of deletes) if (d < mineSorted.length) base.delete(mineSorted[d] as string);
          // `sorted` got its keys in sorted order (walked over its slots); `cached` and `hashed`
          // got them in reverse, op by op: `cached` encoded its state since (so it walks its cached
          // sort), `hashed` did not (it hashes every key).
          const sorted = replica("00000000000000c3", t);
          sorted.applyState(base.encodeState());
          const cached = replica("00000000000000c3", t);
          const hashed = replica("00000000000000c3", t);
          for (const op of [...ops].reverse()) {
            cached.applyOp(op);
            hashed.applyOp(op);
          }
          expect(hex(cached.encodeState())).toBe(hex(sorted.encodeState()));
          const results = [sorted, cached, hashed].map((m) => m.applyState(payload));
          expect(results[1]).toEqual(results[0]);
          expect(results[2]).toEqual(results[0]);
          const bytes = hex(sorted.encodeState());
          expect(hex(cached.encodeState())).toBe(bytes);
          expect(hex(hashed.encodeState())).toBe(bytes);
          // The oracle: every key either side wrote and the other did not delete, with its value.
          const deleted = new Set(deletes.filter((d) => d < mineSorted.length).map((d) => mineSorted[d]));
          const expected = new Map<string, number>();
          for (const k of mine) if (!deleted.has(k)) expected.set(k, 1);
          for (const k of theirs) if (!expected.has(k)) expected.set(k, k.length);
          expect(sorted.size).toBe(expected.size);
          for (const [k, v] of expected) {
            // A key both wrote concurrently reads one of the two values, the same on every replica.
            const got = cached.get(k);
            expect(got === v || (theirs.includes(k) && got === k.length)).toBe(true);
            expect(hashed.get(k)).toBe(got);
            expect(sorted.get(k)).toBe(got);
          }
        },
      ),
    );
  });
});
