import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type KeyRulesConfig, type ReplicatedMap, registerResolver, type Value } from "../src/index.ts";
import { KeyIndex } from "../src/register/key-index.ts";
import { replica, type TestTime, testLww } from "./fixtures.ts";

const KEYS = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;

/** [0: add or find, 1: delete, 2: look up every key in slot order, 3: … in reverse] on a key. */
const stepsArb = fc.array(fc.tuple(fc.nat(3), fc.constantFrom(...KEYS)), { maxLength: 40 });

describe("KeyIndex.slotOf", () => {
  it("finds every key's slot (or -1) whatever the order of look-ups, deletes and slot reuse", () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const index = new KeyIndex();
        // The oracle: key → slot, as allocate and delete reported them.
        const oracle = new Map<string, number>();
        const check = (order: readonly string[]): void => {
          for (const k of order) expect(index.slotOf(k)).toBe(oracle.get(k) ?? -1);
        };
        for (const [op, key] of steps) {
          if (op === 0) {
            if (!oracle.has(key)) oracle.set(key, index.allocate(key));
            expect(index.slotOf(key)).toBe(oracle.get(key));
          } else if (op === 1) {
            const slot = oracle.get(key);
            if (slot !== undefined) {
              index.delete(key, slot);
              oracle.delete(key);
            }
            expect(index.slotOf(key)).toBe(-1);
          } else {
            // Slot order first (the shortcut's case), then absent keys interleaved.
            const bySlot = [...oracle].sort((x, y) => x[1] - y[1]).map(([k]) => k);
            check(op === 2 ? bySlot : bySlot.reverse());
            check(KEYS);
          }
        }
        expect(index.size).toBe(oracle.size);
      }),
    );
  });

  it("keeps every slot and the sorted order as its key array grows past its first slots", () => {
    const many = Array.from({ length: 60 }, (_, i) => `k${(i * 37) % 60}`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...many)), { maxLength: 300 }), (steps) => {
        const index = new KeyIndex();
        const oracle = new Map<string, number>();
        for (const [add, key] of steps) {
          const slot = oracle.get(key);
          if (add && slot === undefined) oracle.set(key, index.allocate(key));
          else if (!add && slot !== undefined) {
            index.delete(key, slot);
            oracle.delete(key);
          }
        }
        for (const k of many) expect(index.slotOf(k)).toBe(oracle.get(k) ?? -1);
        const sorted: [string, number][] = [];
        index.forEachSorted((k, s) => sorted.push([k, s]));
        expect(sorted).toEqual([...oracle].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
        expect([...index.sortedSlots()]).toEqual(sorted);
      }),
    );
  });

  it("never answers a freed slot's old key, even right after the slot before it", () => {
    const index = new KeyIndex();
    const a = index.allocate("a");
    const b = index.allocate("b");
    index.delete("b", b);
    expect(index.slotOf("a")).toBe(a);
    expect(index.slotOf("b")).toBe(-1);
    // The freed slot is reused by another key: the slot after "a" now holds "c".
    const c = index.allocate("c");
    expect(c).toBe(b);
    expect(index.slotOf("a")).toBe(a);
    expect(index.slotOf("b")).toBe(-1);
    expect(index.slotOf("c")).toBe(c);
  });
});

/** A register reading its newest value, for a map with two resolvers (reads dispatch per key). */
const newest = registerResolver<Value, Value>({
  id: "test-newest-reads",
  version: 1,
  readsNewest: true,
  resolve: (values) => (values[0] as { value: Value }).value,
});

describe("reads after writes and merges", () => {
  const A = "00000000000000a1";
  const B = "00000000000000b2";
  /** One resolver for every key (reads skip the rules), two (reads dispatch per key), a non-newest one. */
  const configs: readonly KeyRulesConfig[] = [
    { default: newest },
    { default: testLww, keys: { "e*": newest } },
    { default: testLww },
  ];
  const valueArb = fc.option(fc.nat(99), { nil: undefined });
  /** [writer 0|1, key, value or undefined for a delete] */
  const opsArb = fc.array(fc.tuple(fc.nat(1), fc.constantFrom(...KEYS), valueArb), { maxLength: 30 });

  it("get reads the last write of a single writer, in any read order", () => {
    fc.assert(
      fc.property(fc.constantFrom(...configs), opsArb, fc.boolean(), (config, ops, reverse) => {
        const time: TestTime = { now: 1_000 };
        const map: ReplicatedMap = replica(A, time, config);
        const oracle = new Map<string, number>();
        for (const [, key, value] of ops) {
          time.now += 1;
          if (value === undefined) {
            map.delete(key);
            oracle.delete(key);
          } else {
            map.set(key, value);
            oracle.set(key, value);
          }
          for (const k of reverse ? [...KEYS].reverse() : KEYS) expect(map.get(k)).toBe(oracle.get(k));
        }
      }),
    );
  });

  it("after a merge, every key reads the later write of the two replicas (lww oracle)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...configs), opsArb, (config, ops) => {
        const time: TestTime = { now: 1_000 };
        const maps = [replica(A, time, config), replica(B, time, config)] as const;
        // The oracle: per writer and key, its last operation (time, value; undefined: a delete).
        const last = new Map<string, { readonly at: number; readonly value: number | undefined }>();
        for (const [w, key, value] of ops) {
          time.now += 1;
          const m = maps[w] as ReplicatedMap;
          if (value === undefined) m.delete(key);
          else m.set(key, value);
          last.set(`${w}:${key}`, { at: time.now, value });
        }
        const target = maps[0];
        target.applyState(maps[1].encodeState());
        for (const key of KEYS) {
          // The replicas never synced: a delete removes only its own writer's value, and of the
          // values left the later write wins.
          const left = [last.get(`0:${key}`), last.get(`1:${key}`)].filter(
            (op): op is { at: number; value: number } => op?.value !== undefined,
          );
          left.sort((x, y) => y.at - x.at);
          expect(target.get(key)).toBe(left[0]?.value);
        }
      }),
    );
  });
});
