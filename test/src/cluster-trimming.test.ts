import { runConfig } from "@converge/core/testing";
import { prng } from "@converge/sync/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterClient,
  openClients,
  pollAcks,
  quiesce,
  startCluster,
} from "../kit/cluster.ts";
import { hex } from "../kit/hex.ts";
import { history } from "../kit/history.ts";
import { type RedisServer, startRedisServer } from "../kit/redis-server.ts";

// Issue 14: with streams trimmed to almost nothing (`--redis-max-len 1`, and Redis told to keep
// two entries per radix-tree node so `MAXLEN ~` bites at once), servers miss most of each other's
// entries and must repair through the catch-up path (digest, then a delta from a peer); a server
// that starts after every write was made catches up the same way. Nothing is replayed from Redis.

let redis: RedisServer;
let cluster: Cluster | undefined;
let clients: ClusterClient[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.session.close()));
  await cluster?.dispose();
  await redis?.dispose();
});

/** The sum of a Prometheus counter over every label set. */
function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

describe("a cluster on aggressively trimmed streams", () => {
  it("repairs through catch-up deltas, and a server joining late catches up", async () => {
    const { seed } = runConfig({}, 1);
    const replay = `replay: CONVERGE_SEED=${seed} pnpm exec vitest run test/src/cluster-trimming.test.ts`;
    console.log(`[cluster-trim] seed ${seed}; ${replay}`);
    const random = prng(seed).next;
    const reply = await redis.command("CONFIG", "SET", "stream-node-max-entries", "2");
    expect(reply.startsWith("+OK"), reply).toBe(true);
    const log = history();
    cluster = await startCluster(3, redis.url, random, { extra: ["--redis-max-len", "1"], startNow: 2 });
    const c = cluster;
    clients = await openClients(c, 10, 2, log);
    const stopPolling = pollAcks(clients, log);
    const catchupsBefore =
      counter(await c.metrics(0), "converge_hub_catchups_total") +
      counter(await c.metrics(1), "converge_hub_catchups_total");

    // A burst: 1200 operations in 60 rounds, the clients of both servers writing at once.
    let maxLen = 0;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 20; i++) {
        const client = clients[Math.floor(random() * clients.length)] as ClusterClient;
        if (random() < 0.5)
          log.set(client.name, client.map, `l:${Math.floor(random() * 20)}`, `${client.name}@${round}.${i}`);
        else if (random() < 0.6)
          log.increment(
            client.name,
            client.map,
            `c:${Math.floor(random() * 4)}`,
            1 + Math.floor(random() * 5),
          );
        else log.set(client.name, client.map, `u:${client.name}:${round}.${i}`, round);
      }
      await new Promise((r) => setTimeout(r, 5));
      if (round % 10 === 9) {
        const len = Number(/^:(\d+)/.exec(await redis.command("XLEN", "converge:doc:doc"))?.[1]);
        maxLen = Math.max(maxLen, len);
      }
    }
    const settledMs = await quiesce(clients, 30_000);
    const catchupsAfter =
      counter(await c.metrics(0), "converge_hub_catchups_total") +
      counter(await c.metrics(1), "converge_hub_catchups_total");

    // The late server: started now, its clients see everything.
    await c.start(2);
    const late = await openClients(c, 5, 3, log, 10);
    clients.push(...late);
    const lateMs = await quiesce(clients, 30_000);
    stopPolling();
    const final = (clients[0] as ClusterClient).map;
    expect(log.check(final), `history check (${replay})`).toEqual([]);
    expect(
      log.ops().every((o) => o.ackedAt !== undefined),
      "every operation acknowledged",
    ).toBe(true);
    const lateCatchups = counter(await c.metrics(2), "converge_hub_catchups_total");
    expect(lateCatchups, "the late server merged catch-up deltas").toBeGreaterThan(0);
    expect(maxLen, "the stream stayed trimmed").toBeLessThanOrEqual(4);
    expect(catchupsAfter - catchupsBefore, `catch-ups while writing (${replay})`).toBeGreaterThan(0);
    await c.serversReach(final.encodeState(), 30_000);
    const want = hex(final.encodeState());
    const stored = await c.storedStates();
    for (const [i, s] of stored.entries()) {
      expect(hex(s) === want, `server ${i}'s stored state (${replay})`).toBe(true);
    }
    console.log(
      `[cluster-trim] ${log.ops().length} operations, stream length at most ${maxLen}; ` +
        `${catchupsAfter - catchupsBefore} catch-up deltas while writing; clients quiescent after ${settledMs} ms; ` +
        `the late server caught up (${lateCatchups} deltas) in ${lateMs} ms; every server byte-identical`,
    );
  }, 120_000);
});
