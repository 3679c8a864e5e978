import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  connect,
  createSyncHost,
  type MetricsSink,
  memoryHubNetwork,
  memoryStore,
  memoryTransportPair,
  type Store,
  type SyncHost,
  type SyncSession,
  type Transport,
} from "../src/index.ts";
import { fakeTimers, prng } from "../src/testing/index.ts";
import { hex, rules, settle } from "./fixtures.ts";
import { rawClient } from "./raw-client.ts";
import { type WriteOracle, writeOracle } from "./write-oracle.ts";

/**
 * THE SCALE-OUT PROPERTY: three hosts share document "shop" through one memory hub; clients
 * (two per host at the start) write at random (counter ops, lww sets, batches), are kicked off
 * and reconnect to a random live host (catch-up deltas both ways, relayed as fresh deltas), and
 * writers send whole states through a raw connection. The hub goes down mid-run (writes keep
 * being acknowledged), the third host starts late (during or after the outage), and hosts crash
 * (kill -9: what they had not committed is lost) and restart from their stores as new hub
 * members. At quiescence
 * every host and client is byte-identical and has every write that was made (the oracle: counter
 * sums, the lww write with the largest HLC time, each writer's last seq), every acknowledged
 * one included; and the catch-up and failure paths were exercised (metrics).
 *
 * Replay: the seed is printed at the start of the run (CONVERGE_SEED=<seed>); a failure prints
 * the property's own seed and path.
 */

type Command =
  | { readonly kind: "inc"; readonly client: number; readonly key: number; readonly amount: number }
  | { readonly kind: "set"; readonly client: number; readonly key: number; readonly value: number }
  | { readonly kind: "batch"; readonly client: number; readonly key: number; readonly value: number }
  | { readonly kind: "kick"; readonly client: number }
  | { readonly kind: "state"; readonly key: number; readonly value: number }
  | { readonly kind: "time"; readonly ms: number }
  | { readonly kind: "restart"; readonly host: number };

const CLIENTS = 6;
const DIGEST_MS = 300;
const client = fc.nat(CLIENTS - 1);
const key = fc.nat(3);
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
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("kick" as const), client }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("state" as const), key, value: fc.nat(1000) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("time" as const), ms: fc.integer({ min: 1, max: 200 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), host: fc.nat(2) }) },
);

/** A store view for one host process: after its crash, its commits fail (they never landed). */
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

/** A metrics sink that sums counters by name. */
function counters(): MetricsSink & { readonly total: (name: string) => number } {
  const sums = new Map<string, number>();
  return {
    count: (name, value) => sums.set(name, (sums.get(name) ?? 0) + value),
    gauge: () => {},
    observe: () => {},
    total: (name) => sums.get(name) ?? 0,
  };
}

/** What the schedules exercised, over all runs (checked, so the paths are not vacuous). */
const seen = {
  writes: 0,
  acked: 0,
  catchups: 0,
  publishFailures: 0,
  states: 0,
  kicks: 0,
  lateHosts: 0,
  restarts: 0,
};

async function run(
  seed: number,
  commands: readonly Command[],
  outage: [number, number],
  late: number,
): Promise<void> {
  const fake = fakeTimers(1_000_000);
  const rand = prng(seed);
  const net = memoryHubNetwork();
  const metrics = counters();
  const errors: string[] = [];
  const status: boolean[][] = [];
  const hosts: SyncHost[] = [];
  const stores: Store[] = [];
  const crash: (() => void)[] = [];
  const restarted = new Set<number>();
  const links: (Transport | undefined)[] = [];
  const linkHost: number[] = [];
  /** Starts host `i` (a new one by default) over its durable store, as a new hub member. */
  const startHost = (i = hosts.length): void => {
    stores[i] ??= memoryStore();
    const gen = generation(stores[i] as Store);
    const member = net.member();
    const host = createSyncHost({
      documents: (name) => (name === "shop" ? { rules } : undefined),
      store: gen.store,
      hub: member,
      hubDigestMs: DIGEST_MS,
      timers: fake.timers,
      metrics,
      limits: { framesPerSecond: 1e9, bytesPerSecond: 1e12 },
    });
    let alive = true;
    host.onError((e) => {
      if (alive) errors.push(`host ${i}: ${e.code} ${e.message}`);
    });
    status[i] = [];
    host.onHubStatus((up) => status[i]?.push(up));
    hosts[i] = host;
    // A crash (kill -9): its commits stop landing, it leaves the hub, its connections drop.
    crash[i] = () => {
      alive = false;
      gen.crash();
      void member.close();
      for (const [c, t] of links.entries()) if (linkHost[c] === i) t?.close(4000, "host crashed");
    };
  };
  startHost();
  startHost();
  const oracle: WriteOracle = writeOracle();
  const maps: ReplicatedMap[] = [];
  const sessions: SyncSession[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const map = createReplicatedMap({ resolvers: rules, clockOptions: { now: fake.timers.now } });
    maps.push(map);
    const session = connect(map, {
      document: "shop",
      dial: async () => {
        const [c, s] = memoryTransportPair();
        const h = rand.int(hosts.length);
        (hosts[h] as SyncHost).accept(s);
        links[i] = c;
        linkHost[i] = h;
        return c;
      },
      timers: fake.timers,
      random: rand.next,
      backoff: { initialMs: 10, maxMs: 100 },
    });
    session.on("ack", (v) => oracle.acked(map, v.get(map.id)));
    sessions.push(session);
  }
  /** Writers of whole states, and whether a host acknowledged theirs (else they send it again). */
  const stateWriters: { readonly map: ReplicatedMap; acked: boolean }[] = [];
  const sendState = async (w: { readonly map: ReplicatedMap; acked: boolean }): Promise<void> => {
    const raw = rawClient(hosts[rand.int(hosts.length)] as SyncHost);
    raw.hello(w.map);
    raw.send({ type: "payload", payload: w.map.encodeState() });
    for (let k = 0; k < 20 && !raw.got.some((m) => m.type === "ack"); k++) await settle(1);
    const ack = raw.got.find((m) => m.type === "ack");
    if (ack?.type === "ack") {
      oracle.acked(w.map, ack.vector.get(w.map.id));
      w.acked = true;
    }
    raw.transport.close(1000, "done");
  };

  for (const [n, c] of commands.entries()) {
    if (n === outage[0]) net.setDown(true);
    if (n === outage[1]) net.setDown(false);
    if (n === late) {
      startHost();
      seen.lateHosts++;
    }
    switch (c.kind) {
      case "inc":
        oracle.increment(maps[c.client] as ReplicatedMap, `stock:${c.key}`, c.amount);
        break;
      case "set":
        oracle.set(maps[c.client] as ReplicatedMap, `title:${c.key}`, c.value);
        break;
      case "batch": {
        const m = maps[c.client] as ReplicatedMap;
        m.batch(() => {
          oracle.set(m, `title:${c.key}`, c.value);
          oracle.increment(m, `stock:${c.key}`, 1);
        });
        break;
      }
      case "kick":
        seen.kicks++;
        links[c.client]?.close(4000, "kicked");
        break;
      case "state": {
        // A writer that sends its whole state to one host: a state payload on the hub.
        seen.states++;
        const w = createReplicatedMap({ resolvers: rules, clockOptions: { now: fake.timers.now } });
        oracle.set(w, `title:${c.key}`, c.value);
        oracle.increment(w, `stock:${c.key}`, 2);
        const writer = { map: w, acked: false };
        stateWriters.push(writer);
        void sendState(writer);
        break;
      }
      case "time":
        fake.advance(c.ms);
        break;
      case "restart":
        if (c.host >= hosts.length) break;
        seen.restarts++;
        restarted.add(c.host);
        crash[c.host]?.();
        startHost(c.host);
        break;
    }
    await settle(2);
  }
  if (hosts.length < 3) startHost();
  net.setDown(false);
  await settle(25);
  // A writer whose host crashed before acknowledging sends its state again, like a client would.
  for (let round = 0; round < 5; round++) for (const w of stateWriters) if (!w.acked) await sendState(w);

  // Quiescence: time moves (digests, reconnects) until every replica has the same state.
  const docs = await Promise.all(hosts.map((h) => h.document("shop")));
  const quiet = (): boolean => {
    const state = hex((docs[0] as ReplicatedMap).encodeState());
    return (
      sessions.every((s) => s.status() === "synced" && s.outboxSize() === 0) &&
      [...docs, ...maps].every((m) => hex(m.encodeState()) === state)
    );
  };
  let rounds = 0;
  while (!quiet()) {
    if (++rounds > 200)
      throw new Error(
        `no quiescence: ${sessions.map((s) => `${s.status()}/${s.outboxSize()}`).join(" ")}; ${docs.map((d) => d.versionVector().size).join(",")}`,
      );
    fake.advance(DIGEST_MS);
    await settle(5);
  }
  const state = hex((docs[0] as ReplicatedMap).encodeState());
  for (const m of [...docs, ...maps]) expect(hex(m.encodeState())).toBe(state);
  for (const [i, d] of docs.entries()) expect(oracle.problems(d), `host ${i}`).toEqual([]);
  const { writes, acked } = oracle.counts();
  expect(acked).toBe(writes);
  expect(errors).toEqual([]);
  if (outage[0] < commands.length && outage[0] < outage[1] && !restarted.has(0)) {
    expect(status[0]).toContain(false);
    expect(status[0]?.at(-1)).toBe(true);
  }
  seen.writes += writes;
  seen.acked += acked;
  seen.catchups += metrics.total("hub_catchups");
  seen.publishFailures += metrics.total("hub_publish_failures");
  for (const s of sessions) await s.close();
  for (const h of hosts) await h.close();
}

describe("scale-out through a hub", () => {
  const { numRuns } = runConfig({ log: () => {} }, 100);
  it("three hosts, an outage, a late host and crashes: byte-identical, every acknowledged write present", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(command, { minLength: 1, maxLength: 80, size: "max" }),
        fc.tuple(fc.nat(40), fc.nat(80)).map(([a, b]): [number, number] => [a, a + b]),
        fc.nat(80),
        run,
      ),
      { numRuns: Math.max(1, Math.round(numRuns / 5)) },
    );
    console.log(`[hub scale-out property] exercised ${JSON.stringify(seen)}`);
    expect(seen.catchups).toBeGreaterThan(0);
    expect(seen.publishFailures).toBeGreaterThan(0);
    expect(seen.states).toBeGreaterThan(0);
    expect(seen.lateHosts).toBeGreaterThan(0);
    expect(seen.restarts).toBeGreaterThan(0);
  }, 120_000);
});
