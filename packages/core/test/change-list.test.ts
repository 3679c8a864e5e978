import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChangeEvent,
  type KeyRulesConfig,
  type ReplicatedMap,
  registerResolver,
  type Value,
} from "../src/index.ts";
import { rules as baseRules, replica, type TestTime } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const C = "00000000000000c3";

/** A register that reads its newest value (as lww does): its changes are read from the columns. */
const newest = registerResolver<Value, Value>({
  id: "test-newest",
  version: 1,
  readsNewest: true,
  resolve: (values) => (values[0] as { value: Value }).value,
});
const rules: KeyRulesConfig = { ...baseRules, keys: { ...baseRules.keys, "n:*": newest } };

const KEYS = ["a", "b", "c", "mv:x", "mv:y", "n:p", "n:q", "é", "\u{1F600}"] as const;

/** [replica 0..2, key, value or null for a delete] */
const opsArb = fc.array(fc.tuple(fc.nat(2), fc.constantFrom(...KEYS), fc.option(fc.nat(9))), {
  maxLength: 16,
});

function run(
  maps: readonly ReplicatedMap[],
  ops: readonly (readonly [number, string, number | null])[],
): void {
  for (const [r, k, v] of ops) {
    const m = maps[r] as ReplicatedMap;
    if (v === null) m.delete(k);
    else m.set(k, v);
  }
}

/** What every key reads, absent keys included (undefined). */
const reads = (m: ReplicatedMap): Map<string, unknown> => new Map(KEYS.map((k) => [k, m.get(k)]));

describe("change events of the apply fast lane", () => {
  it("list exactly the keys an apply changed, reading before and after, even when read later", () => {
    fc.assert(
      fc.property(opsArb, opsArb, opsArb, (mine, theirs, later) => {
        const time: TestTime = { now: 1_000 };
        const target = replica(A, time, rules);
        const source = replica(B, time, rules);
        const other = replica(C, time, rules);
        run([target, source, other], mine);
        source.applyState(other.encodeState());
        run([target, source, other], theirs);
        const kept: ChangeEvent[] = [];
        target.subscribe((e) => kept.push(e));
        // The oracle: what each key read right before and right after each apply, and what it changed.
        const around: {
          readonly before: Map<string, unknown>;
          readonly after: Map<string, unknown>;
          readonly changed: number;
        }[] = [];
        for (const payload of [source.encodeState(), other.encodeState()]) {
          const before = reads(target);
          const stateBefore = target.encodeState();
          const events = kept.length;
          const { changed } = target.applyState(payload);
          // One event per apply that changed something, none otherwise; its changes not read yet.
          expect(kept.length - events).toBe(changed === 0 ? 0 : 1);
          if (changed === 0) expect(target.encodeState()).toEqual(stateBefore);
          else around.push({ before, after: reads(target), changed });
        }
        // Writes and deletes on every key after the applies; only then are the lists first read.
        run([target, source, other], later);
        for (const k of KEYS) target.set(k, 42);
        const remote = kept.filter((e) => e.origin === "remote");
        expect(remote).toHaveLength(around.length);
        remote.forEach((event, n) => {
          const { before, after, changed } = around[n] as (typeof around)[number];
          expect(event.changes).toBe(event.changes); // built once, shared
          // Keys listed once each, in ascending (payload) order; reads changed only on listed keys.
          const keys = event.changes.map((c) => c.key);
          expect(keys).toHaveLength(changed);
          expect(keys).toEqual([...new Set(keys)].sort());
          for (const k of KEYS) if (!keys.includes(k)) expect(after.get(k)).toEqual(before.get(k));
          for (const c of event.changes) {
            expect(c.previous).toEqual(before.get(c.key));
            expect(c.value).toEqual(after.get(c.key));
          }
        });
      }),
    );
  });

  it("one frozen event per apply, its changes built once on first access", () => {
    const time: TestTime = { now: 1_000 };
    const source = replica(B, time);
    for (let i = 0; i < 100; i++) source.set(`k${String(i).padStart(3, "0")}`, i);
    const target = replica(A, time);
    for (let i = 0; i < 50; i++) target.set(`k${String(i * 2).padStart(3, "0")}`, -i - 1);
    const origins: string[] = [];
    let event: ChangeEvent | undefined;
    target.subscribe((e) => {
      origins.push(e.origin);
      event = e;
    });
    const { changed } = target.applyState(source.encodeState());
    expect(changed).toBe(100);
    expect(origins).toEqual(["remote"]);
    const e = event as ChangeEvent;
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(e.changes)).toBe(true);
    expect(e.changes).toHaveLength(100);
    // Keys both wrote are concurrent: multi-value would show both; lww shows the newer (B's, same
    // time, higher id), with A's value as the previous read.
    const k000 = e.changes[0];
    expect(k000?.key).toBe("k000");
    expect(k000?.previous).toBe(-1);
    expect(k000?.value).toBe(0);
    const k001 = e.changes[1];
    expect([k001?.key, k001?.previous, k001?.value]).toEqual(["k001", undefined, 1]);
    expect(target.get("k002")).toBe(2);
  });
});
