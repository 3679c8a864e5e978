import type { BenchClient } from "../sync/clients/bench-client.ts";
import type { ServerStats } from "../sync/server-messages.ts";
import { type ServerProcess, startServerProcess } from "../sync/server-process.ts";
import { cpuBetween, describe, quantile } from "../sync/stats.ts";
import { clientFactory } from "../sync/systems.ts";
import { inPool, sleep, waitUntil, withTimeout } from "../sync/wait.ts";
import { type ClusterConfig, type ClusterSystem, serverOf } from "./cluster-config.ts";
import { type ClusterSample, type PhaseMeasures, phaseFields } from "./cluster-sample.ts";
import type { RedisAdmin, RedisStats } from "./redis-stats.ts";

/** How often the driver checks which client may write (ms; timers, so the driver never spins). */
const TICK_MS = 2;

type Phase = "paced" | "burst";

/** The bench driver's view of one run: every client, what each wrote and saw. */
interface Run {
  readonly config: ClusterConfig;
  readonly system: ClusterSystem;
  readonly servers: number;
  readonly list: BenchClient[];
  /** Writes made by client i (its keys are `<p|b><i>:<n>` for n below it, value n). */
  readonly written: Int32Array;
  /** Writes client i had made when the burst phase began (its later keys are `b…`). */
  readonly burstFrom: Int32Array;
  /** Remote changes client i saw. */
  readonly seen: Int32Array;
  /** Write times of server 1's clients, by key. */
  readonly writeTimes: Map<string, number>;
  readonly latencies: Record<Phase, number[]>;
}

function totalWritten(run: Run): number {
  return run.written.reduce((a, b) => a + b, 0);
}

function totalSeen(run: Run): number {
  return run.seen.reduce((a, b) => a + b, 0);
}

function acked(run: Run): number {
  let n = 0;
  run.list.forEach((c, i) => {
    n += (run.written[i] as number) - (c.unacknowledged() ?? 0);
  });
  return n;
}

function write(run: Run, i: number, phase: Phase): void {
  const n = run.written[i] as number;
  run.written[i] = n + 1;
  const key = `${phase === "paced" ? "p" : "b"}${i}:${n}`;
  if (serverOf(i, run.list.length, run.servers) === 0) run.writeTimes.set(key, performance.now());
  (run.list[i] as BenchClient).write(key, n);
}

/** Every client has seen every other client's writes, and every write is acknowledged. */
function quiescent(run: Run): boolean {
  const total = totalWritten(run);
  for (let i = 0; i < run.list.length; i++) {
    if ((run.seen[i] as number) !== total - (run.written[i] as number)) return false;
    if ((run.list[i]?.unacknowledged() ?? 0) !== 0) return false;
  }
  return true;
}

async function serverCpu(servers: readonly ServerProcess[]): Promise<ServerStats[]> {
  return Promise.all(servers.map((s) => s.stats()));
}

/**
 * One phase: the paced one gives every client `rate` writes per second (staggered starts; a write
 * due while its client is at the in-flight cap is skipped); the burst one keeps every client at
 * the cap. Then waits until the cluster is quiescent and measures what the phase cost.
 */
async function phase(
  run: Run,
  kind: Phase,
  windowMs: number,
  servers: readonly ServerProcess[],
  redis: RedisAdmin,
): Promise<PhaseMeasures> {
  const { config, list } = run;
  const clients = list.length;
  const cpu0 = await serverCpu(servers);
  const client0 = process.cpuUsage();
  const redis0 = await redis.stats();
  const writes0 = totalWritten(run);
  const seen0 = totalSeen(run);
  const acked0 = acked(run);
  const period = 1000 / config.rate;
  const t0 = performance.now();
  const next = Float64Array.from({ length: clients }, (_, i) => t0 + (i * period) / clients);
  let skipped = 0;
  for (let now = t0; now - t0 < windowMs; now = performance.now()) {
    for (let i = 0; i < clients; i++) {
      const unacked = list[i]?.unacknowledged() ?? 0;
      if (kind === "burst") {
        for (let room = config.inflight - unacked; room > 0; room--) write(run, i, kind);
        continue;
      }
      if (now < (next[i] as number)) continue;
      if (unacked < config.inflight) write(run, i, kind);
      else skipped++;
      // A client that fell behind does not catch up in a burst: its next write is one period on.
      next[i] = Math.max((next[i] as number) + period, now);
    }
    await sleep(TICK_MS);
  }
  const windowEnd = performance.now();
  const ackedAtEnd = acked(run);
  const seenAtEnd = totalSeen(run);
  const writes = totalWritten(run) - writes0;
  await waitUntil(
    () => quiescent(run),
    config.timeoutMs,
    `${run.system}: every write everywhere, acknowledged`,
  );
  const drainMs = performance.now() - windowEnd;
  const client = process.cpuUsage(client0);
  const cpu1 = await serverCpu(servers);
  const redis1 = await redis.stats();
  const seconds = (windowEnd - t0) / 1000;
  const cpu = cpu1.reduce((sum, end, k) => sum + cpuBetween(cpu0[k] as ServerStats, end), 0);
  const deliveries = writes * (clients - 1);
  const samples = Float64Array.from(run.latencies[kind]).sort();
  return {
    writes,
    skipped,
    ackedPerSec: (ackedAtEnd - acked0) / seconds,
    visiblePerSec: (seenAtEnd - seen0) / (clients - 1) / seconds,
    p50Ms: quantile(samples, 0.5),
    p99Ms: quantile(samples, 0.99),
    maxMs: quantile(samples, 1),
    samples: samples.length,
    drainMs,
    serverCpuUsPerOp: writes > 0 ? cpu / writes : null,
    serverCpuUsPerDelivery: deliveries > 0 ? cpu / deliveries : null,
    clientCpuUsPerOp: writes > 0 ? (client.user + client.system) / writes : null,
    redisCpuUsPerOp: writes > 0 ? (redis1.cpuUs - redis0.cpuUs) / writes : null,
    redisBytesPerOp:
      writes > 0
        ? (redis1.netInputBytes - redis0.netInputBytes + redis1.netOutputBytes - redis0.netOutputBytes) /
          writes
        : null,
  };
}

/** The oracle: one client per server holds every write made, with the value written. */
function checkValues(run: Run): void {
  const clients = run.list.length;
  for (let s = 0; s < run.servers; s++) {
    const reader = run.list.findIndex((_, i) => serverOf(i, clients, run.servers) === s);
    const client = run.list[reader] as BenchClient;
    for (let i = 0; i < clients; i++) {
      for (let n = 0; n < (run.written[i] as number); n++) {
        const key = `${n < (run.burstFrom[i] as number) ? "p" : "b"}${i}:${n}`;
        const got = client.get(key);
        if (got !== n)
          throw new Error(`a client of server ${s + 1} reads ${String(got)} for ${key}, expected ${n}`);
      }
    }
  }
}

/**
 * One cluster run: Redis reset, `servers` server children of `system` on it, `config.clients`
 * clients spread over them on one document, a paced phase then a burst phase, each drained
 * to quiescence and checked against the writes made. Never throws: a failure is the sample's status.
 */
export async function runClusterOnce(
  config: ClusterConfig,
  system: ClusterSystem,
  servers: number,
  redisUrl: string,
  redis: RedisAdmin,
  log: (msg: string) => void,
): Promise<ClusterSample> {
  const clients = config.clients;
  const run: Run = {
    config,
    system,
    servers,
    list: [],
    written: new Int32Array(clients),
    burstFrom: new Int32Array(clients).fill(0x7fffffff),
    seen: new Int32Array(clients),
    writeTimes: new Map(),
    latencies: { paced: [], burst: [] },
  };
  const children: ServerProcess[] = [];
  let status: ClusterSample["status"] = "ok";
  let note = "";
  let connectMs: number | null = null;
  let paced: PhaseMeasures | null = null;
  let burst: PhaseMeasures | null = null;
  let base: RedisStats | undefined;
  let end: RedisStats | undefined;
  let hubDowns: number | null = null;
  try {
    await redis.reset();
    base = await redis.stats();
    const connect = await clientFactory(system);
    for (let s = 0; s < servers; s++)
      children.push(await startServerProcess(system, config.timeoutMs, { redisUrl }));
    const t0 = performance.now();
    await inPool(clients, config.connectConcurrency, async (i) => {
      const port = (children[serverOf(i, clients, servers)] as ServerProcess).port;
      run.list[i] = await connect(
        { url: `ws://127.0.0.1:${port}`, document: "cluster", presence: false },
        config.timeoutMs,
      );
    });
    await waitUntil(
      () => run.list.every((c) => c.synced()),
      config.timeoutMs,
      `${system}: every client synced`,
    );
    connectMs = performance.now() - t0;
    const observerFrom = clients - Math.min(config.observers, clients - 1);
    run.list.forEach((client, i) => {
      client.onRemote((count, keys) => {
        run.seen[i] = (run.seen[i] as number) + count;
        if (i < observerFrom) return;
        const now = performance.now();
        for (const key of keys()) {
          const at = run.writeTimes.get(key);
          if (at !== undefined) run.latencies[key[0] === "p" ? "paced" : "burst"].push(now - at);
        }
      });
    });
    await sleep(250);
    log(`  cluster ${system} × ${servers}: ${clients} clients synced in ${(connectMs / 1000).toFixed(1)} s`);
    paced = await phase(run, "paced", config.pacedMs, children, redis);
    run.burstFrom.set(run.written);
    if (config.burstMs > 0) burst = await phase(run, "burst", config.burstMs, children, redis);
    checkValues(run);
    end = await redis.stats();
    const last = await serverCpu(children);
    if (last.some((s) => s.hubDowns !== undefined))
      hubDowns = last.reduce((sum, s) => sum + (s.hubDowns ?? 0), 0);
  } catch (e) {
    status = e instanceof Error && "code" in e && e.code === "BENCH_TIMEOUT" ? "timeout" : "error";
    note = describe(e);
  } finally {
    await withTimeout(
      Promise.all(run.list.map((c) => c.close())),
      config.timeoutMs,
      "clients to close",
    ).catch(() => undefined);
    await Promise.all(children.map((c) => c.stop()));
  }
  const ok = status === "ok";
  return {
    system,
    servers,
    clients,
    status,
    note,
    connectMs,
    ...phaseFields("paced", ok ? paced : null),
    ...phaseFields("burst", ok ? burst : null),
    redisMemoryBytes: ok && base !== undefined && end !== undefined ? end.usedMemory - base.usedMemory : null,
    redisKeys: ok ? (end?.keys ?? null) : null,
    redisStreams: ok ? (end?.streams ?? null) : null,
    redisStreamEntries: ok ? (end?.streamEntries ?? null) : null,
    hubDowns,
    reconnects: run.list.reduce((a, c) => a + Math.max(0, c.connects() - 1), 0),
  } as ClusterSample;
}
