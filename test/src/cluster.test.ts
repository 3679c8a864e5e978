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

// Issue 14: three `converge serve --data … --redis …` processes on one private Redis, 30 clients
// spread across them writing seeded random operations while servers are killed with kill -9 and
// restarted, Redis is restarted once and paused (CLIENT PAUSE) once. Then quiescence: every
// client and every server byte-identical, and the history of every operation checked against the
// resolvers' semantics: no lost, resurrected or miscounted write.

const SERVERS = 3;
const CLIENTS = 30;
const WRITE_MS = 12_000;

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("a cluster of three servers on Redis", () => {
  it("converges byte-identically through kill -9, a Redis restart and CLIENT PAUSE, losing no write", async () => {
    const { seed } = runConfig({}, 1);
    const replay = `replay: CONVERGE_SEED=${seed} pnpm exec vitest run test/src/cluster.test.ts`;
    console.log(`[cluster] seed ${seed}; ${replay}`);
    const random = prng(seed).next;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const log = history();
    cluster = await startCluster(SERVERS, redis.url, random);
    const c = cluster;
    clients = await openClients(c, CLIENTS, SERVERS, log);
    const stopPolling = pollAcks(clients, log);

    // Writes: every 20 ms three clients each make one operation.
    const unique = new Map<string, { next: number; live: string[] }>();
    let writing = true;
    const writer = (async () => {
      while (writing) {
        for (let i = 0; i < 3; i++) {
          const client = pick(clients);
          const mine = unique.get(client.name) ?? { next: 0, live: [] };
          unique.set(client.name, mine);
          const r = random();
          if (r < 0.4)
            log.set(
              client.name,
              client.map,
              `l:${Math.floor(random() * 10)}`,
              `${client.name}#${mine.next++}`,
            );
          else if (r < 0.7)
            log.increment(
              client.name,
              client.map,
              `c:${Math.floor(random() * 5)}`,
              Math.floor(random() * 9) - 3,
            );
          else if (r < 0.9 || mine.live.length === 0) {
            const key = `u:${client.name}:${mine.next++}`;
            log.set(client.name, client.map, key, mine.next);
            mine.live.push(key);
          } else {
            const key = mine.live.splice(Math.floor(random() * mine.live.length), 1)[0] as string;
            log.delete(client.name, client.map, key);
          }
        }
        await sleep(20);
      }
    })();

    // Faults, on a seeded schedule: kill -9 a server now and then (at least two stay up), restart
    // it after a while; restart Redis at ~30 % of the run and pause it at ~60 %.
    const faults: string[] = [];
    const t0 = Date.now();
    let redisRestarted = false;
    let redisPaused = false;
    let restarting: Promise<void> | undefined;
    while (Date.now() - t0 < WRITE_MS) {
      const elapsed = Date.now() - t0;
      if (!redisRestarted && elapsed > WRITE_MS * 0.3) {
        redisRestarted = true;
        await redis.restart();
        faults.push(`${elapsed} ms: Redis restarted (every stream lost)`);
      } else if (!redisPaused && elapsed > WRITE_MS * 0.6) {
        redisPaused = true;
        await redis.pause(1500);
        faults.push(`${elapsed} ms: CLIENT PAUSE 1500 ms`);
      } else if (restarting === undefined && c.live().length === SERVERS) {
        const victim = pick(c.live());
        await c.kill(victim);
        faults.push(`${elapsed} ms: kill -9 server ${victim}`);
        const downMs = 200 + Math.floor(random() * 1000);
        restarting = sleep(downMs)
          .then(() => c.start(victim))
          .then(() => {
            faults.push(`${Date.now() - t0} ms: server ${victim} restarted`);
            restarting = undefined;
          });
      }
      await sleep(200 + Math.floor(random() * 600));
    }
    await restarting;
    writing = false;
    await writer;
    for (let i = 0; i < SERVERS; i++) await c.start(i);

    const ops = log.ops();
    let settledMs: number;
    try {
      settledMs = await quiesce(clients, 40_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nfaults:\n${faults.join("\n")}\n${replay}`);
    }
    stopPolling();
    const acked = ops.filter((o) => o.ackedAt !== undefined).length;
    const final = (clients[0] as ClusterClient).map;
    const problems = log.check(final);
    expect(problems, `history check (${replay})\nfaults:\n${faults.join("\n")}`).toEqual([]);
    expect(acked, "every operation was acknowledged in the end").toBe(ops.length);
    expect(faults.filter((f) => f.includes("kill -9")).length, "servers were killed").toBeGreaterThan(0);
    expect(ops.length, "enough operations to mean something").toBeGreaterThan(100);

    // Every server reaches the clients' state, and holds those bytes in its SQLite file after a stop.
    const serversMs = await c.serversReach(final.encodeState(), 30_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\nfaults:\n${faults.join("\n")}\n${replay}`);
    });
    const want = hex(final.encodeState());
    const stored = await c.storedStates();
    for (const [i, s] of stored.entries()) {
      expect(hex(s) === want, `server ${i}'s stored state is the clients' (${replay})`).toBe(true);
    }

    console.log(
      `[cluster] ${ops.length} operations by ${CLIENTS} clients on ${SERVERS} servers, all acknowledged; ` +
        `${faults.length} faults (${faults.filter((f) => f.includes("kill")).length} kill -9, 1 Redis restart, ` +
        `1 CLIENT PAUSE); clients quiescent ${settledMs} ms after the last write, servers ${serversMs} ms later; ${final.size} keys, ` +
        "history check clean, every server byte-identical",
    );
  }, 120_000);
});
