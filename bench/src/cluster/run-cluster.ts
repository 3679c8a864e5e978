import { loadavg } from "node:os";
import { startRedisServer } from "../../../test/kit/redis-server.ts";
import { rotated, type Summary, summarize } from "../sync/run-sync.ts";
import type { ClusterConfig, ClusterSystem } from "./cluster-config.ts";
import { runClusterOnce } from "./cluster-run.ts";
import { CLUSTER_FIELDS, type ClusterSample } from "./cluster-sample.ts";
import { redisAdmin } from "./redis-stats.ts";

/** Every system at one number of servers. */
export interface ClusterSize {
  readonly servers: number;
  readonly results: readonly Summary<ClusterSample>[];
}

/** Everything the cluster section measured. */
export interface ClusterResult {
  readonly systems: readonly ClusterSystem[];
  readonly clients: number;
  /** Paced phase: writes per second per client, and the window. */
  readonly rate: number;
  readonly pacedMs: number;
  readonly burstMs: number;
  readonly inflight: number;
  readonly observers: number;
  /** Repetitions planned, and completed before the budget stopped them. */
  readonly reps: number;
  readonly repsRun: number;
  readonly budgetMs: number;
  /** `redis-server --version`'s version, as INFO reports it. */
  readonly redisVersion: string | null;
  readonly sizes: readonly ClusterSize[];
  /**
   * The machine's 1-minute load average when the section started and when it ended: above the
   * core count, other work shared the cores and every absolute number here is inflated.
   */
  readonly loadAverage?: readonly [number, number];
  /** When the section started (ISO 8601). */
  readonly measuredAt: string;
  /** Why the run stopped early or could not start, when it did. */
  readonly note: string;
}

/**
 * Starts one private Redis, then for each repetition (while the elapsed time projects the next
 * within the budget) runs every number of servers, systems in rotated order, each run after a
 * FLUSHALL. Medians per system and size over the runs that completed.
 */
export async function runCluster(config: ClusterConfig, log: (msg: string) => void): Promise<ClusterResult> {
  // Every Yjs provider adds process listeners.
  process.setMaxListeners(0);
  const started = performance.now();
  const measuredAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const samples = new Map<string, ClusterSample[]>();
  let repsRun = 0;
  let note = "";
  let redisVersion: string | null = null;
  const key = (system: ClusterSystem, servers: number): string => `${system}×${servers}`;
  try {
    // The workspace's test kit: a private redis-server (CONVERGE_REDIS_SERVER, else the PATH's).
    const redis = await startRedisServer();
    const admin = await redisAdmin(redis.url).catch(async (e: unknown) => {
      await redis.dispose();
      throw e;
    });
    try {
      redisVersion = await admin.version();
      log(
        `cluster: redis-server ${redisVersion} on ${redis.url}; ${config.clients} clients, servers ${config.servers.join(", ")}`,
      );
      for (let rep = 0; rep < config.reps; rep++) {
        const elapsed = performance.now() - started;
        if (rep > 0 && (elapsed * (rep + 1)) / rep > config.budgetMs) {
          note = `${rep} of ${config.reps} repetitions: another would pass the ${Math.round(config.budgetMs / 1000)} s budget`;
          log(`cluster: ${note}`);
          break;
        }
        for (const servers of config.servers) {
          for (const system of rotated(config.systems, rep + servers)) {
            const sample = await runClusterOnce(config, system, servers, redis.url, admin, log);
            if (sample.status !== "ok")
              log(`  cluster ${system} × ${servers}: ${sample.status}: ${sample.note}`);
            const list = samples.get(key(system, servers)) ?? [];
            list.push(sample);
            samples.set(key(system, servers), list);
          }
        }
        repsRun = rep + 1;
      }
    } finally {
      await admin.close();
      await redis.dispose();
    }
  } catch (e) {
    note = `the cluster section could not run: ${e instanceof Error ? e.message : String(e)}`;
    log(`cluster: ${note}`);
  }
  return {
    systems: config.systems,
    clients: config.clients,
    rate: config.rate,
    pacedMs: config.pacedMs,
    burstMs: config.burstMs,
    inflight: config.inflight,
    observers: config.observers,
    reps: config.reps,
    repsRun,
    budgetMs: config.budgetMs,
    redisVersion,
    sizes: config.servers.map((servers) => ({
      servers,
      results: config.systems.map((s) => summarize(s, samples.get(key(s, servers)) ?? [], CLUSTER_FIELDS)),
    })),
    loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    measuredAt,
    note,
  };
}
