import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { redisHub } from "@converge/redis";
import { lww } from "@converge/resolvers";
import { connect, createSyncHost, memoryTransportPair, type SyncHost } from "@converge/sync";
import { prng } from "@converge/sync/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../kit/redis-server.ts";

// Issue 14: a host that joins late catches up with a delta from a peer through Redis. With
// documents larger than one stream entry (`maxEntryBytes`, 4 KiB here) that delta, and a large
// client state the first host publishes, travel as several entries, none above the bound, and
// arrive whole: the late host's client reads every value the first host's client wrote.

let redis: RedisServer;
const closers: (() => Promise<void>)[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.dispose();
});

const rules = { default: lww() };
const ENTRY = 4096;

function host(prefix: string): SyncHost {
  const hub = redisHub({ url: redis.url, prefix, maxEntryBytes: ENTRY, probeMs: 100 });
  const h = createSyncHost({
    documents: (name) => (name === "big" ? { rules } : undefined),
    hub,
    hubDigestMs: 0,
  });
  closers.push(async () => {
    await h.close();
    await hub.close();
  });
  return h;
}

function client(h: SyncHost): { map: ReplicatedMap; synced: Promise<void> } {
  const map = createReplicatedMap({ resolvers: rules });
  const session = connect(map, {
    document: "big",
    dial: async () => {
      const [c, s] = memoryTransportPair();
      h.accept(s);
      return c;
    },
  });
  closers.push(() => session.close());
  return { map, synced: session.whenSynced() };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("catch-up through Redis of a document larger than a stream entry", () => {
  it("a late host gets every acknowledged write; no entry passes maxEntryBytes", async () => {
    const { seed } = runConfig({}, 1);
    console.log(
      `[hub-large] seed ${seed}; replay: CONVERGE_SEED=${seed} pnpm exec vitest run test/src/hub-large-catch-up.test.ts`,
    );
    const random = prng(seed).next;
    const prefix = `large-${seed}:`;
    const a = host(prefix);
    const ca = client(a);
    await ca.synced;
    // The oracle: every value written and acknowledged, 3,000 keys of 20–60 characters each.
    const written = new Map<string, string>();
    ca.map.batch(() => {
      for (let i = 0; i < 3000; i++) {
        const value = "v".repeat(20 + Math.floor(random() * 40)) + i;
        written.set(`k${i}`, value);
        ca.map.set(`k${i}`, value);
      }
    });
    // The second host starts after the writes: it learns them only by catch-up from the first.
    await new Promise((r) => setTimeout(r, 300));
    const b = host(prefix);
    const cb = client(b);
    await cb.synced;
    await until(() => cb.map.size === written.size, `${written.size} keys on the late host's client`);
    for (const [key, value] of written) expect(cb.map.get(key), key).toBe(value);

    const raw = new Redis(redis.url, { protocol: 2 });
    try {
      const lengths: number[] = [];
      for (const key of await raw.keys(`${prefix}*`)) {
        if ((await raw.type(key)) !== "stream") continue;
        const entries = (await raw.xrangeBuffer(key, "-", "+")) as [Buffer, Buffer[]][];
        for (const [, fields] of entries)
          for (let i = 0; i + 1 < fields.length; i += 2)
            if (fields[i]?.toString() === "b") lengths.push(fields[i + 1]?.length ?? 0);
      }
      // The client's state (published by the first host) and the catch-up delta: about 150 KB each.
      expect(lengths.filter((n) => n === ENTRY).length).toBeGreaterThan(20);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(ENTRY);
    } finally {
      raw.disconnect();
    }
  }, 60_000);
});
