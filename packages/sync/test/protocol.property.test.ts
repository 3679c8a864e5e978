import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { compareTimestamps, type Timestamp } from "@converge/hlc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  connect,
  createSyncHost,
  memoryStore,
  type Store,
  type SyncHost,
  type SyncSession,
} from "../src/index.ts";
import { fakeTimers, faultyNetwork } from "../src/testing/index.ts";
import { hex, rules, settle } from "./fixtures.ts";

/**
 * THE PROPERTY: random schedules of writes, deliveries, lost links, partitions and host
 * restarts (the restarted host loads the store; what the old host had not committed is lost);
 * at quiescence every replica and the host's document are byte-identical, and every operation
 * any client made is there (checked against an oracle of the operations made: counters sum to
 * the increments, lww keys read the write with the largest HLC time, every client's last seq is
 * in the host's vector).
 *
 * Replay: the seed is printed at the start of the run (CONVERGE_SEED=<seed>); a failure prints
 * the property's own seed and path.
 */

type Command =
  | { readonly kind: "inc"; readonly client: number; readonly key: number; readonly amount: number }
  | { readonly kind: "set"; readonly client: number; readonly key: number; readonly value: number }
  | { readonly kind: "batch"; readonly client: number; readonly key: number; readonly value: number }
  | { readonly kind: "step"; readonly n: number }
  | { readonly kind: "time"; readonly ms: number }
  | { readonly kind: "offline"; readonly client: number }
  | { readonly kind: "online"; readonly client: number }
  | { readonly kind: "restart" };

const CLIENTS = 3;
const client = fc.nat(CLIENTS - 1);
const key = fc.nat(2);
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("inc" as const),
      client,
      key,
      amount: fc.integer({ min: -5, max: 9 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("set" as const), client, key, value: fc.nat(1000) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("batch" as const), client, key, value: fc.nat(1000) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("step" as const), n: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("time" as const), ms: fc.integer({ min: 1, max: 400 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("offline" as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("online" as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

/** A store view for one host generation: after its crash, its commits fail (they never landed). */
function generation(store: Store): { readonly store: Store; readonly crash: () => void } {
  let alive = true;
  return {
    crash: () => {
      alive = false;
    },
    store: {
      open: async (name) => {
        const doc = await store.open(name);
        return {
          load: doc.load,
          commit: async (batch) => {
            if (!alive) throw new Error("crashed");
            await doc.commit(batch);
          },
          close: async () => {},
        };
      },
      documents: store.documents,
      close: async () => {},
    },
  };
}

interface Write {
  readonly value: number;
  readonly time: Timestamp;
}

/** What the schedules exercised, over all runs (checked, so the faults are not vacuous). */
const seen = { offline: 0, restarts: 0, writes: 0, chunked: 0, quiescenceRounds: 0 };

async function run(seed: number, maxFrameBytes: number, commands: readonly Command[]): Promise<void> {
  const fake = fakeTimers(1_000_000);
  const durable = memoryStore();
  const hostOptions = (store: Store) => ({
    documents: (name: string) => (name === "shop" ? { rules } : undefined),
    store,
    timers: fake.timers,
    limits: { maxFrameBytes, framesPerSecond: 1e9, bytesPerSecond: 1e12 },
  });
  let gen = generation(durable);
  let host: SyncHost = createSyncHost(hostOptions(gen.store));
  const net = faultyNetwork({
    seed,
    faults: { delay: 0.2, disconnect: 0.02, dialFailure: 0.1 },
    accept: (t) => host.accept(t),
  });
  const maps: ReplicatedMap[] = [];
  const sessions: SyncSession[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const map = createReplicatedMap({ resolvers: rules, clockOptions: { now: fake.timers.now } });
    maps.push(map);
    const session = connect(map, {
      document: "shop",
      dial: net.dialer(`c${i}`),
      timers: fake.timers,
      random: net.random.next,
      backoff: { initialMs: 10, maxMs: 200 },
      maxFrameBytes,
    });
    session.on("status", (st) => {
      if (st === "offline") seen.offline++;
    });
    sessions.push(session);
  }
  if (maxFrameBytes < 200) seen.chunked++;
  // The oracle: what was done, not what the replicas say.
  const counters = new Map<string, number>();
  const lww = new Map<string, Write[]>();
  const setLww = (m: ReplicatedMap, k: string, value: number): void => {
    m.set(k, value);
    const [mine] = m.conflicts(k);
    if (mine === undefined) throw new Error("a write with no value");
    lww.set(k, [...(lww.get(k) ?? []), { value, time: mine.time }]);
  };
  for (const c of commands) {
    if (c.kind === "inc" || c.kind === "set" || c.kind === "batch") seen.writes++;
    switch (c.kind) {
      case "inc": {
        const k = `stock:${c.key}`;
        (maps[c.client] as ReplicatedMap).increment(k, c.amount);
        counters.set(k, (counters.get(k) ?? 0) + c.amount);
        break;
      }
      case "set":
        setLww(maps[c.client] as ReplicatedMap, `title:${c.key}`, c.value);
        break;
      case "batch": {
        const m = maps[c.client] as ReplicatedMap;
        m.batch(() => {
          setLww(m, `title:${c.key}`, c.value);
          m.increment(`stock:${c.key}`, 1);
        });
        counters.set(`stock:${c.key}`, (counters.get(`stock:${c.key}`) ?? 0) + 1);
        break;
      }
      case "step":
        for (let i = 0; i < c.n && net.step(); i++) await settle(1);
        break;
      case "time":
        fake.advance(c.ms);
        break;
      case "offline":
        net.setOnline(`c${c.client}`, false);
        break;
      case "online":
        net.setOnline(`c${c.client}`, true);
        break;
      case "restart":
        seen.restarts++;
        gen.crash();
        net.kill();
        gen = generation(durable);
        host = createSyncHost(hostOptions(gen.store));
        break;
    }
    await settle(2);
  }
  // Quiescence: everyone online, no more faults, time moves until nothing is left to do.
  for (let i = 0; i < CLIENTS; i++) net.setOnline(`c${i}`, true);
  const doc = await host.document("shop");
  let rounds = 0;
  const quiet = (): boolean =>
    net.pending() === 0 &&
    sessions.every((s) => s.status() === "synced" && s.outboxSize() === 0) &&
    maps.every((m) => hex(m.encodeState()) === hex(doc.encodeState()));
  while (!quiet()) {
    if (++rounds > 400)
      throw new Error(`no quiescence: ${sessions.map((s) => `${s.status()}/${s.outboxSize()}`).join(" ")}`);
    fake.advance(250);
    await settle(2);
    while (net.drain() > 0) await settle(3);
  }
  seen.quiescenceRounds += rounds;
  const state = hex(doc.encodeState());
  for (const m of maps) expect(hex(m.encodeState())).toBe(state);
  for (const [k, sum] of counters) expect(doc.get(k) ?? 0, k).toBe(sum);
  for (const [k, writes] of lww) {
    const last = writes.reduce((a, b) => (compareTimestamps(a.time, b.time) >= 0 ? a : b));
    expect(doc.get(k), k).toBe(last.value);
  }
  for (const m of maps) expect(doc.versionVector().get(m.id)).toBe(m.versionVector().get(m.id));
  for (const s of sessions) await s.close();
}

describe("the sync protocol over a faulty network", () => {
  const { numRuns } = runConfig({ log: () => {} }, 100);
  it("converges byte-identically with every operation present, through faults and host restarts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom(96, 512, 1 << 20),
        fc.array(command, { minLength: 1, maxLength: 80, size: "max" }),
        run,
      ),
      { numRuns: Math.max(1, Math.round(numRuns / 4)) },
    );
    console.log(`[sync property] exercised ${JSON.stringify(seen)}`);
    expect(seen.offline).toBeGreaterThan(0);
    expect(seen.restarts).toBeGreaterThan(0);
    expect(seen.chunked).toBeGreaterThan(0);
  }, 120_000);
});
