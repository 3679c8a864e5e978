import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Change,
  type ChangeEvent,
  type ReplicatedMap,
  registerResolver,
  type Value,
} from "../src/index.ts";
import { replica, type TestTime } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

const plain = (changes: readonly Change[]): { key: string; value: unknown; previous: unknown }[] =>
  changes
    .map((c) => ({ key: c.key, value: c.value, previous: c.previous }))
    .sort((x, y) => (x.key < y.key ? -1 : 1));

/** Writes `ops` on a fresh replica: [key, value] pairs ("mv:" keys are multi-value). */
function written(node: string, time: TestTime, ops: readonly (readonly [string, number])[]): ReplicatedMap {
  const m = replica(node, time);
  for (const [k, v] of ops) m.set(k, v);
  return m;
}

const opsArb = fc.array(
  fc.tuple(
    fc.constantFrom("a", "b", "c", "mv:x", "mv:y", "z", "é", "\u{1F600}", "A"),
    fc.integer({ min: 0, max: 9 }),
  ),
  { maxLength: 12 },
);

describe("change events", () => {
  it("the fast lane emits the same changes as the general path", () => {
    // With a live snapshot the apply takes the general path; without one, lone values take the
    // fast lane. A subscriber must see the same changes either way.
    fc.assert(
      fc.property(opsArb, opsArb, (mine, theirs) => {
        const time = { now: 1_000 };
        const payload = written(B, time, theirs).encodeState();
        const seenBy = (keepSnapshot: boolean): ReturnType<typeof plain> => {
          const target = written(A, time, mine);
          const events: ChangeEvent[] = [];
          target.subscribe((e) => events.push(e));
          const snapshot = keepSnapshot ? target.snapshot() : undefined;
          const { changed } = target.applyState(payload);
          expect(snapshot === undefined || snapshot.size >= 0).toBe(true);
          const changes = events.flatMap((e) => e.changes);
          expect(changes).toHaveLength(changed);
          expect(events.every((e) => e.origin === "remote")).toBe(true);
          return plain(changes);
        };
        const fast = seenBy(false);
        expect(fast).toEqual(seenBy(true));
        // And each change reads what the map now reads.
        const target = written(A, time, mine);
        target.applyState(payload);
        for (const c of fast) expect(c.value).toEqual(target.get(c.key));
      }),
    );
  });

  it("a lazily read change serialises as a plain object", () => {
    const time = { now: 1_000 };
    const target = written(A, time, [["k", 1]]);
    const events: ChangeEvent[] = [];
    target.subscribe((e) => events.push(e));
    target.applyState(written(B, time, [["k", 2]]).encodeState());
    expect(JSON.parse(JSON.stringify(events[0]?.changes))).toEqual([{ key: "k", value: 2, previous: 1 }]);
  });

  it("applyAsync emits one event per chunk and counts keys a local write merged early", async () => {
    const time = { now: 1_000 };
    const source = replica(B, time);
    for (let i = 0; i < 10; i++) source.set(`k${i}`, i);
    const target = replica(A, time);
    const events: ChangeEvent[] = [];
    target.subscribe((e) => events.push(e));
    let writes = 0;
    const result = await target.applyAsync(source.encodeState(), {
      chunkSize: 4,
      yieldTo: async (phase) => {
        // A local write to a key still waiting merges it first (k9 is in the last chunk).
        if (phase === "merge" && writes++ === 0) target.set("k9", 99);
      },
    });
    expect(result.changed).toBe(10);
    const remote = events.filter((e) => e.origin === "remote");
    // Chunks of 4, 4 and 2 keys, k9 merged early by the local write: 4 + 4 + 1 + its own event.
    expect(remote.map((e) => e.changes.length).sort()).toEqual([1, 1, 4, 4]);
    expect(remote.flatMap((e) => e.changes.map((c) => c.key)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${i}`).sort(),
    );
    expect(target.get("k9")).toBe(99);
  });
});

describe("event.keys", () => {
  it("lists the keys of event.changes in their order, from every kind of event, read first or last", async () => {
    // Every way an event is made: local writes, a batch, a blocking apply on the fast lane (no
    // snapshot) and on the general path (a live snapshot), a delta, an op, and applyAsync's chunks.
    await fc.assert(
      fc.asyncProperty(opsArb, opsArb, fc.boolean(), async (mine, theirs, keysFirst) => {
        const time = { now: 1_000 };
        const source = written(B, time, theirs);
        const target = replica(A, time);
        const events: ChangeEvent[] = [];
        target.subscribe((e) => events.push(e));
        for (const [k, v] of mine) target.set(k, v);
        target.batch(() => {
          for (const [k, v] of mine) target.set(k, v + 1);
          if (mine[0] !== undefined) target.delete(mine[0][0]);
        });
        target.applyState(
          written(
            "00000000000000c3",
            time,
            theirs.map(([k, v]) => [k, v + 2]),
          ).encodeState(),
        );
        // A live snapshot sends the next applies down the general path (held until the end).
        const held = target.snapshot();
        const heldEntries = JSON.stringify([...held.entries()]);
        target.applyState(source.encodeState());
        const ops: Uint8Array[] = [];
        source.onOp((op) => ops.push(op));
        const since = target.versionVector();
        for (const [k, v] of theirs) source.set(k, v + 5);
        target.applyDelta(source.encodeDelta(since));
        source.set("op-key", 1);
        for (const op of ops) target.applyOp(op);
        source.set("z", 99);
        await target.applyAsync(source.encodeState(), { chunkSize: 2, yieldTo: async () => {} });
        for (const event of events) {
          // Read in either order: each is built alone, and equals the other's keys.
          const keys = keysFirst ? event.keys : undefined;
          const expected = event.changes.map((c) => c.key);
          expect(keys ?? event.keys).toEqual(expected);
          expect(event.keys).toBe(event.keys); // built once, shared
          expect(Object.isFrozen(event.keys)).toBe(true);
        }
        // The snapshot still reads what it read when taken (and was alive for every apply above).
        expect(JSON.stringify([...held.entries()])).toBe(heldEntries);
        // The oracle: every key whose read differs from before the first event is in some event's keys.
        const listed = new Set(events.flatMap((e) => e.keys));
        for (const [k] of [...mine, ...theirs]) expect(listed.has(k)).toBe(true);
      }),
    );
  });

  it("a large apply's keys are read without building its changes", () => {
    const time = { now: 1_000 };
    const source = replica(B, time);
    for (let i = 0; i < 500; i++) source.set(`k${String(i).padStart(3, "0")}`, i);
    const target = replica(A, time);
    for (let i = 0; i < 250; i++) target.set(`k${String(i * 2).padStart(3, "0")}`, -i - 1);
    let event: ChangeEvent | undefined;
    target.subscribe((e) => {
      event = e;
    });
    target.applyState(source.encodeState());
    const e = event as ChangeEvent;
    const keys = e.keys;
    expect(keys).toHaveLength(500);
    expect(keys[0]).toBe("k000");
    expect(keys[499]).toBe("k499");
    expect([...keys]).toEqual([...keys].sort());
    // Reading the changes afterwards still gives the reads around the apply.
    expect(e.changes.map((c) => c.key)).toEqual(keys);
    expect(e.changes[0]?.previous).toBe(-1);
    expect(e.changes[0]?.value).toBe(0);
  });
});

describe("applyAsync's admission point", () => {
  it("yields once after admission, before merging, so writes from then on observe the payload", async () => {
    // Regression (seed 115066700 of the network simulator): a one-entry payload used to be
    // admitted and merged without any "merge" yield, so a caller could not tell when it took
    // effect, and the simulator's oracle missed that a concurrent write had observed it.
    const time = { now: 1_000 };
    const source = replica(B, time);
    source.set("mv:n", 1);
    const target = replica(A, time);
    const phases: string[] = [];
    await target.applyAsync(source.encodeState(), {
      yieldTo: async (phase) => {
        phases.push(phase);
        if (phases.length === 1) {
          expect(target.has("mv:n")).toBe(false); // admitted, not merged yet
          target.set("mv:n", 2); // observes the payload's write: replaces it
        }
      },
    });
    expect(phases).toEqual(["merge"]);
    expect(target.get("mv:n")).toEqual([2]);
  });
});

describe("iteration order", () => {
  it("converged replicas iterate entries and keys in the same, ascending order", () => {
    fc.assert(
      fc.property(opsArb, opsArb, (one, two) => {
        const time = { now: 1_000 };
        const a = written(A, time, one);
        const b = written(B, time, two);
        a.applyState(b.encodeState());
        b.applyState(a.encodeState());
        const keysA = [...a.keys()];
        expect(JSON.stringify([...a.entries()])).toBe(JSON.stringify([...b.entries()]));
        expect(keysA).toEqual([...b.keys()]);
        expect(keysA).toEqual([...keysA].sort());
        expect([...a.snapshot().keys()]).toEqual(keysA);
      }),
    );
  });
});

describe("batch", () => {
  it("sends one op frame and one event for many writes, and applies like the single ops", () => {
    fc.assert(
      fc.property(opsArb, opsArb, (before, inside) => {
        const time = { now: 1_000 };
        const a = written(A, time, before);
        const single = replica(B, time);
        const batched = replica(B, time);
        single.applyState(a.encodeState());
        batched.applyState(a.encodeState());
        const singles: Uint8Array[] = [];
        const frames: Uint8Array[] = [];
        const events: ChangeEvent[] = [];
        const stopSingle = a.onOp((op) => singles.push(op));
        const copy = written(A, time, before); // same replica history, sent one op at a time
        const stopCopy = copy.onOp((op) => singles.push(op));
        stopSingle();
        for (const [k, v] of inside) copy.set(k, v);
        stopCopy();
        a.onOp((op) => frames.push(op));
        a.subscribe((e) => events.push(e));
        const result = a.batch(() => {
          for (const [k, v] of inside) a.set(k, v);
          return "done";
        });
        expect(result).toBe("done");
        expect(frames).toHaveLength(inside.length === 0 ? 0 : 1);
        expect(events).toHaveLength(inside.length === 0 ? 0 : 1);
        expect(events[0]?.changes.map((c) => c.key) ?? []).toEqual(
          [...new Set(inside.map(([k]) => k))].sort(),
        );
        for (const f of frames) expect(batched.applyOp(f).duplicate).toBe(false);
        for (const s of singles) single.applyOp(s);
        expect(JSON.stringify([...batched.entries()])).toBe(JSON.stringify([...single.entries()]));
        expect(JSON.stringify([...batched.entries()])).toBe(JSON.stringify([...a.entries()]));
        expect(batched.versionVector().get(A)).toBe(a.versionVector().get(A));
        // A duplicate frame changes nothing.
        for (const f of frames) expect(batched.applyOp(f).duplicate).toBe(true);
      }),
    );
  });

  it("a throwing batch keeps and sends what it wrote; nested batches join the outer", () => {
    const time = { now: 1_000 };
    const a = replica(A, time);
    const b = replica(B, time);
    a.onOp((op) => b.applyOp(op));
    expect(() =>
      a.batch(() => {
        a.set("x", 1);
        a.batch(() => a.set("y", 2));
        throw new Error("stop");
      }),
    ).toThrow("stop");
    expect([b.get("x"), b.get("y")]).toEqual([1, 2]);
    expect(() => a.batch("no" as unknown as () => void)).toThrow(/batch takes a function/);
  });
});

describe("readsNewest registers", () => {
  it("read exactly what their resolve would, from packed columns and from state objects", () => {
    const newest = registerResolver<Value, Value>({
      id: "newest",
      version: 1,
      resolve: (values) => (values[0] as { value: Value }).value,
      readsNewest: true,
    });
    const listed = registerResolver<Value, Value>({
      id: "listed",
      version: 1,
      resolve: (values) => (values[0] as { value: Value }).value,
    });
    fc.assert(
      fc.property(opsArb, opsArb, opsArb, fc.boolean(), (one, two, three, del) => {
        const reads = (resolver: typeof newest): string => {
          const time = { now: 1_000 };
          const rules = { default: resolver };
          const ms = [A, B, "00000000000000c3"].map((n) => replica(n, time, rules));
          [one, two, three].forEach((ops, i) => {
            for (const [k, v] of ops) (ms[i] as ReplicatedMap).set(k, v);
          });
          if (del) (ms[0] as ReplicatedMap).delete("a");
          const [x, y, z] = ms as [ReplicatedMap, ReplicatedMap, ReplicatedMap];
          x.applyState(y.encodeState());
          x.applyState(z.encodeState()); // three concurrent values: a state object, not packed
          const keys = ["a", "b", "c", "mv:x", "z", "A"];
          return JSON.stringify([[...x.entries()], keys.map((k) => x.get(k)), keys.map((k) => y.get(k))]);
        };
        expect(reads(newest)).toBe(reads(listed));
      }),
    );
  });
});
