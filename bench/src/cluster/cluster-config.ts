import { fileURLToPath } from "node:url";
import { count, type Env, intEnv } from "../env-count.ts";
import type { SystemId } from "../sync/server-messages.ts";

/** The systems with a Redis scale-out, side by side: converge (`@converge/redis`) and Hocuspocus (its Redis extension). */
export const CLUSTER_SYSTEMS: readonly ["converge", "hocuspocus"] = ["converge", "hocuspocus"];

/** One of {@link CLUSTER_SYSTEMS}. */
export type ClusterSystem = (typeof CLUSTER_SYSTEMS)[number] & SystemId;

/** Settings of the cluster benchmark (every BENCH_CLUSTER_* variable is listed in cluster/main.ts). */
export interface ClusterConfig {
  readonly quick: boolean;
  /** BENCH_CLUSTER_SYSTEMS (comma-separated; default both). */
  readonly systems: readonly ClusterSystem[];
  /** Server processes per configuration, one configuration each (BENCH_CLUSTER_SERVERS). */
  readonly servers: readonly number[];
  /** Clients on the one document, spread evenly over the servers in contiguous blocks (BENCH_CLUSTER_CLIENTS). */
  readonly clients: number;
  /** Paced phase: writes per second per client (BENCH_CLUSTER_RATE). */
  readonly rate: number;
  /** Paced phase length (BENCH_CLUSTER_PACED_S, milliseconds here). */
  readonly pacedMs: number;
  /** Burst phase length, every client writing as fast as its acknowledgements allow (BENCH_CLUSTER_BURST_S; 0 skips). */
  readonly burstMs: number;
  /**
   * Unacknowledged writes a client may have (BENCH_CLUSTER_INFLIGHT): the burst phase keeps each
   * client at this many; in the paced phase a write due while a client is at it is skipped and
   * counted, so neither phase builds an unbounded backlog.
   */
  readonly inflight: number;
  /** Clients of the last server that record when writes of server 1's clients become visible (BENCH_CLUSTER_OBSERVERS). */
  readonly observers: number;
  /** Repetitions of every configuration (BENCH_CLUSTER_REPS), run only while the budget allows. */
  readonly reps: number;
  /** A repetition starts only when the run so far projects it within this many ms (BENCH_CLUSTER_BUDGET_S). */
  readonly budgetMs: number;
  /** Clients connecting at once (BENCH_CLUSTER_CONNECT_CONCURRENCY). */
  readonly connectConcurrency: number;
  /** Longest single wait (BENCH_CLUSTER_TIMEOUT_S); a run past it is reported as timed out. */
  readonly timeoutMs: number;
  /** Where cluster/main.ts writes its JSON (BENCH_OUT; default bench/results.cluster.json). */
  readonly out: string;
}

function secondsEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback * 1000;
  const s = Number(raw.trim());
  if (!Number.isFinite(s) || s < 0)
    throw new Error(`${name}: ${JSON.stringify(raw)} is not a number of seconds`);
  return Math.round(s * 1000);
}

function systemsEnv(env: Env): readonly ClusterSystem[] {
  const raw = env["BENCH_CLUSTER_SYSTEMS"];
  if (raw === undefined || raw.trim() === "") return CLUSTER_SYSTEMS;
  const names = raw.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!(CLUSTER_SYSTEMS as readonly string[]).includes(n))
      throw new Error(`BENCH_CLUSTER_SYSTEMS: unknown system ${n}; known: ${CLUSTER_SYSTEMS.join(", ")}`);
  }
  return CLUSTER_SYSTEMS.filter((s) => names.includes(s));
}

/** Reads the cluster settings; BENCH_QUICK=1 picks smoke-run sizes. */
export function loadClusterConfig(env: Env): ClusterConfig {
  const quick = env["BENCH_QUICK"] === "1" || env["BENCH_QUICK"] === "true";
  const rawServers = env["BENCH_CLUSTER_SERVERS"];
  const servers =
    rawServers === undefined || rawServers.trim() === ""
      ? [1, 2, 3]
      : rawServers.split(",").map((p) => count("BENCH_CLUSTER_SERVERS", p));
  if (servers.some((n) => n < 1))
    throw new Error("BENCH_CLUSTER_SERVERS: every configuration needs a server");
  const clients = intEnv(env, "BENCH_CLUSTER_CLIENTS", quick ? 12 : 60);
  const most = Math.max(...servers);
  if (clients < 2 * most)
    throw new Error(`BENCH_CLUSTER_CLIENTS: ${clients} clients cannot give each of ${most} servers two`);
  const rate = Number(env["BENCH_CLUSTER_RATE"]?.trim() || "4");
  if (!Number.isFinite(rate) || rate <= 0)
    throw new Error("BENCH_CLUSTER_RATE: writes per second must be > 0");
  return {
    quick,
    systems: systemsEnv(env),
    servers,
    clients,
    rate,
    pacedMs: secondsEnv(env, "BENCH_CLUSTER_PACED_S", quick ? 2 : 5),
    burstMs: secondsEnv(env, "BENCH_CLUSTER_BURST_S", quick ? 1 : 3),
    inflight: Math.max(1, intEnv(env, "BENCH_CLUSTER_INFLIGHT", 8)),
    observers: Math.max(1, intEnv(env, "BENCH_CLUSTER_OBSERVERS", 2)),
    reps: Math.max(1, intEnv(env, "BENCH_CLUSTER_REPS", quick ? 1 : 3)),
    budgetMs: secondsEnv(env, "BENCH_CLUSTER_BUDGET_S", 300),
    connectConcurrency: Math.max(1, intEnv(env, "BENCH_CLUSTER_CONNECT_CONCURRENCY", 20)),
    timeoutMs: Math.max(1, intEnv(env, "BENCH_CLUSTER_TIMEOUT_S", quick ? 30 : 60)) * 1000,
    out: env["BENCH_OUT"] ?? fileURLToPath(new URL("../../results.cluster.json", import.meta.url)),
  };
}

/** The server (0-based) client `i` of `clients` connects to with `servers` servers: contiguous, even blocks. */
export function serverOf(i: number, clients: number, servers: number): number {
  return Math.min(servers - 1, Math.floor((i * servers) / clients));
}
