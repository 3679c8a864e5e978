import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { compareTimestamps } from "@converge/hlc";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_SLEEP_TICK_MS,
  type HostDocument,
  loadHostDocument,
} from "../src/_internals/host-document.ts";
import { connect, memoryStore } from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, newMap, rules, settle, testHost } from "./fixtures.ts";

/**
 * A host's replica of a document sleeps while unused (its state encoded, the map dropped behind
 * a WeakRef) and wakes on use. Sleeps are counted by the WeakRefs made; `collected` stands in a
 * WeakRef that has always lost its map, as if the GC had run, so a wake rebuilds. Checked
 * against a control replica that never sleeps and gets the same payloads.
 */

const TICK = 100;
let refs = 0;
/** A WeakRef whose target is already collected. */
class Collected<T extends object> {
  constructor(_target: T) {
    refs++;
  }
  deref(): T | undefined {
    return undefined;
  }
}
/** The real WeakRef, counted. */
class Counted<T extends object> extends WeakRef<T> {
  constructor(target: T) {
    super(target);
    refs++;
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

async function sleeper(ref: "collected" | "real", tickMs = TICK) {
  refs = 0;
  vi.stubGlobal("WeakRef", ref === "collected" ? Collected : Counted);
  const clock = fakeTimers();
  const store = memoryStore();
  const doc: HostDocument<object> = await loadHostDocument<object>(store, "shop", { rules }, 64, {
    now: clock.timers.now,
    leaseMs: 60_000,
    sent: () => undefined,
    compacted: () => {},
    timers: clock.timers,
    sleepTickMs: tickMs,
  });
  return { doc, clock, store, sleeps: () => refs };
}

describe("a host document's sleeping replica", () => {
  it("sleeps after a whole unused tick and wakes rebuilt: same state, id, clock, listeners", async () => {
    const { doc, clock, sleeps } = await sleeper("collected");
    const writer = createReplicatedMap({ resolvers: rules });
    writer.set("title", "hello");
    writer.increment("stock:apple", 3);
    const first = doc.map;
    first.apply(writer.encodeState());
    clock.advance(TICK);
    expect(sleeps()).toBe(0); // this tick saw the use
    clock.advance(TICK);
    expect(sleeps()).toBe(1);
    const woken = doc.map;
    expect(woken).not.toBe(first); // rebuilt: the old one counts as collected
    expect(woken.id).toBe(first.id);
    expect(hex(woken.encodeState())).toBe(hex(first.encodeState()));
    expect(woken.get("title")).toBe("hello");
    expect(woken.get("stock:apple")).toBe(3);
    expect(woken.clock.node).toBe(first.clock.node);
    const before = first.clock.last();
    expect(compareTimestamps(woken.clock.last(), before)).toBeGreaterThanOrEqual(0);
    expect(compareTimestamps(woken.clock.tick(), before)).toBe(1); // its HLC carries on
    // The rebuilt replica reports its changes to the apply running, as the first did.
    writer.set("title", "again");
    doc.changed = new Set();
    woken.apply(writer.encodeDelta(woken.versionVector()));
    expect([...doc.changed]).toEqual(["title"]);
    doc.changed = undefined;
  });

  it("stays awake while used or while an apply runs, and a larger document waits longer", async () => {
    const { doc, clock, sleeps } = await sleeper("collected");
    for (let i = 0; i < 5; i++) {
      void doc.map;
      clock.advance(TICK);
    }
    expect(sleeps()).toBe(0);
    doc.changed = new Set(); // an apply that yields is running
    clock.advance(5 * TICK);
    expect(sleeps()).toBe(0);
    doc.changed = undefined;
    clock.advance(TICK);
    expect(sleeps()).toBe(1);

    const big = doc.map;
    big.batch(() => {
      for (let i = 0; i < 64 * 3; i++) big.set(`k${i}`, i);
    });
    clock.advance(TICK); // the tick that sees the use
    clock.advance(3 * TICK); // 1 + ⌊192 / 64⌋ = 4 idle ticks needed
    expect(sleeps()).toBe(1);
    clock.advance(TICK);
    expect(sleeps()).toBe(2);
    expect(doc.map.size).toBe(192);
  });

  it("wakes the very map that slept while something still holds it", async () => {
    const { doc, clock, sleeps } = await sleeper("real");
    const first = doc.map;
    clock.advance(2 * TICK);
    expect(sleeps()).toBe(1);
    expect(doc.map).toBe(first);
  });

  it("wakes at once when a held reference to the sleeping map changes, so nothing is lost", async () => {
    const { doc, clock, sleeps } = await sleeper("real");
    const first = doc.map;
    clock.advance(2 * TICK);
    expect(sleeps()).toBe(1);
    first.set("late", 1); // a write through a reference kept from before the sleep
    // From here a sleeping map counts as collected: what the next wake rebuilds from is the
    // encoding taken after the write, since the write woke the replica.
    vi.stubGlobal("WeakRef", Collected);
    clock.advance(2 * TICK);
    expect(sleeps()).toBe(2);
    const rebuilt = doc.map;
    expect(rebuilt).not.toBe(first);
    expect(rebuilt.get("late")).toBe(1);
    expect(hex(rebuilt.encodeState())).toBe(hex(first.encodeState()));
  });

  it("never sleeps with a tick of 0", async () => {
    const { doc, clock, sleeps } = await sleeper("collected", 0);
    const first = doc.map;
    clock.advance(100 * TICK);
    expect(clock.pending()).toBe(0);
    expect(sleeps()).toBe(0);
    expect(doc.map).toBe(first);
  });

  it("keeps committing and compacting through wakes; the store reloads what it holds", async () => {
    const compactions: string[] = [];
    const { doc, clock, store, sleeps } = await sleeper("collected");
    const folded = await loadHostDocument<object>(store, "other", { rules }, 64, {
      now: clock.timers.now,
      leaseMs: 60_000,
      sent: () => undefined,
      compacted: (d) => compactions.push(d.name),
      timers: clock.timers,
      sleepTickMs: TICK,
    });
    const writer = createReplicatedMap({ resolvers: rules });
    for (let i = 0; i < 4; i++) {
      clock.advance(2 * TICK);
      writer.set(`k${i}`, "x".repeat(40));
      for (const d of [doc, folded]) {
        const payload = writer.encodeDelta(d.map.versionVector());
        d.map.apply(payload);
        await d.keeper.append(payload);
      }
    }
    expect(sleeps()).toBeGreaterThanOrEqual(6); // both documents slept between the writes
    expect(compactions.length).toBeGreaterThan(0); // the log passed 64 bytes: folded, compacted
    clock.advance(2 * TICK);
    const reloaded = await loadHostDocument<object>(store, "other", { rules }, 64, {
      now: clock.timers.now,
      leaseMs: 60_000,
      sent: () => undefined,
      compacted: () => {},
      sleepTickMs: 0,
    });
    expect(hex(reloaded.map.encodeState())).toBe(hex(writer.encodeState()));
    expect(hex(folded.map.encodeState())).toBe(hex(writer.encodeState()));
    expect(hex(doc.map.encodeState())).toBe(hex(writer.encodeState()));
  });

  it("merges like a replica that never slept, through any schedule of payloads, sleeps and compactions", async () => {
    type Step =
      | { readonly kind: "write"; readonly writer: number; readonly key: number; readonly value: number }
      | { readonly kind: "inc"; readonly writer: number; readonly amount: number }
      | { readonly kind: "deliver"; readonly writer: number; readonly as: "state" | "delta" | "op" }
      | { readonly kind: "idle"; readonly ticks: number }
      | { readonly kind: "compact" };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constant("write" as const),
        writer: fc.nat(2),
        key: fc.nat(5),
        value: fc.integer({ min: -5, max: 5 }),
      }),
      fc.record({
        kind: fc.constant("inc" as const),
        writer: fc.nat(2),
        amount: fc.integer({ min: 1, max: 9 }),
      }),
      fc.record({
        kind: fc.constant("deliver" as const),
        writer: fc.nat(2),
        as: fc.constantFrom("state" as const, "delta" as const, "op" as const),
      }),
      fc.record({ kind: fc.constant("idle" as const), ticks: fc.integer({ min: 1, max: 3 }) }),
      fc.constant({ kind: "compact" as const }),
    );
    let slept = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const writers = [0, 1, 2].map(() => createReplicatedMap({ resolvers: rules }));
        const ops: Uint8Array[][] = writers.map(() => []);
        writers.forEach((w, i) => {
          w.onOp((op) => ops[i]?.push(op));
        });
        const control = createReplicatedMap({ resolvers: rules });
        const { doc, clock, sleeps } = await sleeper("collected");
        const id = doc.map.id;
        for (const s of steps) {
          if (s.kind === "write") writers[s.writer]?.set(`k${s.key}`, s.value);
          else if (s.kind === "inc") writers[s.writer]?.increment("stock:x", s.amount);
          else if (s.kind === "deliver") {
            const w = writers[s.writer] as ReplicatedMap;
            const payloads =
              s.as === "state"
                ? [w.encodeState()]
                : s.as === "delta"
                  ? [w.encodeDelta(control.versionVector())]
                  : (ops[s.writer]?.splice(0) ?? []);
            for (const p of payloads) {
              control.apply(p);
              doc.map.apply(p);
            }
          } else if (s.kind === "idle") clock.advance(s.ticks * TICK);
          else {
            const floor = [control.versionVector()];
            expect(doc.map.compact(floor)).toBe(control.compact(floor));
          }
          const m = doc.map;
          expect(m.id).toBe(id);
          expect(m.versionVector().compare(control.versionVector())).toBe("equal");
          expect(hex(m.encodeState())).toBe(hex(control.encodeState()));
        }
        slept += sleeps();
      }),
    );
    expect(slept).toBeGreaterThan(0);
  });
});

describe("a host whose documents sleep", () => {
  it("serves, relays and acknowledges on documents that slept between writes (real timers)", async () => {
    const host = testHost();
    const a = newMap();
    const b = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    const sb = connect(b, { document: "shop", dial: dialTo(host) });
    a.set("title", "before");
    await sa.whenSynced();
    await sb.whenSynced();
    await settle();
    // Two ticks unused: the host's replica of "shop" sleeps.
    await new Promise((r) => setTimeout(r, 2 * DEFAULT_SLEEP_TICK_MS + 150));
    b.increment("stock:apple", 2);
    a.set("title", "after");
    await settle();
    await new Promise((r) => setTimeout(r, 2 * DEFAULT_SLEEP_TICK_MS + 150));
    const c = newMap();
    const sc = connect(c, { document: "shop", dial: dialTo(host) });
    await sc.whenSynced();
    await sa.whenSynced();
    await sb.whenSynced();
    await settle();
    const doc = await host.document("shop");
    for (const m of [a, b, c]) {
      expect(m.get("title")).toBe("after");
      expect(m.get("stock:apple")).toBe(2);
      expect(hex(m.encodeState())).toBe(hex(doc.encodeState()));
    }
    expect(sa.outboxSize() + sb.outboxSize()).toBe(0);
    for (const s of [sa, sb, sc]) await s.close();
    await host.close();
  });
});
