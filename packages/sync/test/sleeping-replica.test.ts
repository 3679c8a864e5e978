import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { compareTimestamps } from "@converge/hlc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadHostDocument } from "../src/_internals/host-document.ts";
import {
  DEFAULT_SLEEP_TICK_MS,
  SleepingReplica,
  type SleepOptions,
} from "../src/_internals/sleeping-replica.ts";
import { connect, memoryStore } from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, newMap, rules, settle, testHost } from "./fixtures.ts";

/**
 * A host's replica sleeps while unused (its state encoded, the map dropped) and wakes on use.
 * Checked against a control replica that never sleeps and is given the same payloads: after
 * every step both hold byte-identical states and vectors, and the sleeper keeps its id.
 */

const TICK = 100;
const lost = (): { readonly deref: () => ReplicatedMap | undefined } => ({ deref: () => undefined });

function sleeper(first: ReplicatedMap, extra: Partial<SleepOptions> = {}) {
  const clock = fakeTimers();
  const attached: ReplicatedMap[] = [];
  let busy = false;
  const replica = new SleepingReplica(first, {
    rules,
    timers: clock.timers,
    tickMs: TICK,
    busy: () => busy,
    attach: (m) => attached.push(m),
    ...extra,
  });
  return { replica, clock, attached, setBusy: (b: boolean) => (busy = b) };
}

describe("a sleeping replica", () => {
  it("sleeps after a whole unused tick, wakes on use with the same state, id and clock state", () => {
    const first = createReplicatedMap({ resolvers: rules });
    const writer = createReplicatedMap({ resolvers: rules });
    writer.set("title", "hello");
    writer.increment("stock:apple", 3);
    first.apply(writer.encodeState());
    const { replica, clock, attached } = sleeper(first, { weak: lost });
    expect(attached).toEqual([first]);
    expect(replica.map()).toBe(first);
    clock.advance(TICK);
    expect(replica.asleep()).toBe(false); // this tick saw the use
    clock.advance(TICK);
    expect(replica.asleep()).toBe(true);
    const woken = replica.map();
    expect(replica.asleep()).toBe(false);
    expect(woken).not.toBe(first); // rebuilt: the old one counts as collected
    expect(attached).toEqual([first, woken]);
    expect(woken.id).toBe(first.id);
    const before = first.clock.last();
    expect(woken.clock.node).toBe(first.clock.node);
    expect(compareTimestamps(woken.clock.last(), before)).toBeGreaterThanOrEqual(0); // never behind
    expect(compareTimestamps(woken.clock.tick(), before)).toBe(1); // its HLC carries on
    expect(hex(woken.encodeState())).toBe(hex(first.encodeState()));
    expect(woken.get("title")).toBe("hello");
    expect(woken.get("stock:apple")).toBe(3);
  });

  it("stays awake while used or busy, and a large replica waits longer", () => {
    const first = createReplicatedMap({ resolvers: rules });
    const { replica, clock, setBusy } = sleeper(first);
    for (let i = 0; i < 5; i++) {
      replica.map();
      clock.advance(TICK);
    }
    expect(replica.asleep()).toBe(false);
    setBusy(true);
    clock.advance(5 * TICK);
    expect(replica.asleep()).toBe(false);
    setBusy(false);
    clock.advance(TICK);
    expect(replica.asleep()).toBe(true);

    const big = createReplicatedMap({ resolvers: rules });
    big.batch(() => {
      for (let i = 0; i < 64 * 3; i++) big.set(`k${i}`, i);
    });
    const large = sleeper(big);
    large.replica.map();
    large.clock.advance(TICK); // the tick that sees the use
    large.clock.advance(3 * TICK); // 1 + ⌊192 / 64⌋ = 4 idle ticks needed
    expect(large.replica.asleep()).toBe(false);
    large.clock.advance(TICK);
    expect(large.replica.asleep()).toBe(true);
  });

  it("returns the very map that slept while something still holds it", () => {
    const first = createReplicatedMap({ resolvers: rules });
    const { replica, clock } = sleeper(first);
    clock.advance(2 * TICK);
    expect(replica.asleep()).toBe(true);
    expect(replica.map()).toBe(first);
  });

  it("wakes at once when a held reference to the sleeping map changes, so nothing is lost", () => {
    const first = createReplicatedMap({ resolvers: rules });
    const { replica, clock } = sleeper(first);
    clock.advance(2 * TICK);
    expect(replica.asleep()).toBe(true);
    first.set("late", 1); // a write through a reference kept from before the sleep
    expect(replica.asleep()).toBe(false);
    expect(replica.map().get("late")).toBe(1);
  });

  it("never sleeps with a tick of 0", () => {
    const { replica, clock } = sleeper(createReplicatedMap({ resolvers: rules }), { tickMs: 0 });
    clock.advance(100 * TICK);
    expect(clock.pending()).toBe(0);
    expect(replica.asleep()).toBe(false);
  });

  it("merges like a replica that never slept, through any schedule of payloads, sleeps and reads", () => {
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
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const writers = [0, 1, 2].map(() => createReplicatedMap({ resolvers: rules }));
        const ops: Uint8Array[][] = writers.map(() => []);
        writers.forEach((w, i) => {
          w.onOp((op) => ops[i]?.push(op));
        });
        const control = createReplicatedMap({ resolvers: rules });
        const { replica, clock } = sleeper(createReplicatedMap({ resolvers: rules }), { weak: lost });
        const id = replica.map().id;
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
              replica.map().apply(p);
            }
          } else if (s.kind === "idle") {
            clock.advance(s.ticks * TICK);
            if (replica.asleep()) slept++;
          } else {
            const floor = [control.versionVector()];
            expect(replica.map().compact(floor)).toBe(control.compact(floor));
          }
          const m = replica.map();
          expect(m.id).toBe(id);
          expect(m.versionVector().compare(control.versionVector())).toBe("equal");
          expect(hex(m.encodeState())).toBe(hex(control.encodeState()));
        }
      }),
    );
    expect(slept).toBeGreaterThan(0);
  });
});

describe("a host whose documents sleep", () => {
  it("loads a document whose replica sleeps, and keeps committing and compacting through wakes", async () => {
    const store = memoryStore();
    const clock = fakeTimers();
    const compactions: string[] = [];
    const doc = await loadHostDocument<object>(store, "shop", { rules }, 64, {
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
      expect(doc.asleep()).toBe(true);
      writer.set(`k${i}`, "x".repeat(40));
      const payload = writer.encodeDelta(doc.map.versionVector());
      expect(doc.asleep()).toBe(false);
      doc.map.apply(payload);
      await doc.keeper.append(payload);
    }
    expect(compactions.length).toBeGreaterThan(0); // the log passed 64 bytes: folded while awake
    clock.advance(2 * TICK);
    expect(doc.asleep()).toBe(true);
    const reloaded = await loadHostDocument<object>(store, "shop", { rules }, 64, {
      now: clock.timers.now,
      leaseMs: 60_000,
      sent: () => undefined,
      compacted: () => {},
      sleepTickMs: 0,
    });
    expect(hex(reloaded.map.encodeState())).toBe(hex(writer.encodeState()));
    expect(hex(doc.map.encodeState())).toBe(hex(writer.encodeState()));
  });

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
