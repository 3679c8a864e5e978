import { fileURLToPath } from "node:url";
import { count, type Env, intEnv } from "../env-count.ts";
import { isSystemId, SYSTEMS, type SystemId } from "./server-messages.ts";

/** Settings of the sync benchmarks (every BENCH_SYNC_* variable is listed in sync/main.ts). */
export interface SyncConfig {
  readonly quick: boolean;
  /** Systems to run (BENCH_SYNC_SYSTEMS, comma-separated; default all). */
  readonly systems: readonly SystemId[];
  /** Fan-out: clients on the one document, one run per size (BENCH_SYNC_CLIENTS). */
  readonly fanoutClients: readonly number[];
  /** Fan-out: writes each client makes, at most (BENCH_SYNC_WRITES). */
  readonly fanoutWrites: number;
  /**
   * Fan-out: bound on deliveries per run, writes × (clients − 1) (BENCH_SYNC_DELIVERIES); a size
   * whose writes would exceed it makes fewer writes per client (at least one).
   */
  readonly fanoutDeliveries: number;
  /**
   * Fan-out: rounds in flight (BENCH_SYNC_WINDOW; 0: no bound). Round r of writes (one per
   * client) starts once observer 0 has seen every write of round r − window, so queues stay
   * bounded and latency is the system's, not an ever-growing backlog's.
   */
  readonly window: number;
  /** Fan-out: clients that record arrival times of every other client's writes (BENCH_SYNC_OBSERVERS). */
  readonly observers: number;
  /** Catch-up: keys changed while the client is offline (BENCH_SYNC_CATCHUP_KEYS; 0 skips). */
  readonly catchupKeys: number;
  /** Catch-up: keys per writer transaction (BENCH_SYNC_CATCHUP_BATCH). */
  readonly catchupBatch: number;
  /** Idle: documents, one client each (BENCH_SYNC_IDLE_DOCS; 0 skips). */
  readonly idleDocs: number;
  /** Repetitions of fan-out and catch-up, each on a fresh server (BENCH_SYNC_REPS). */
  readonly reps: number;
  /** Repetitions of the idle-documents run (BENCH_SYNC_IDLE_REPS). */
  readonly idleReps: number;
  /** Clients connecting at once (BENCH_SYNC_CONNECT_CONCURRENCY). */
  readonly connectConcurrency: number;
  /** Longest any single wait may take before the run is reported as timed out (BENCH_SYNC_TIMEOUT_S). */
  readonly timeoutMs: number;
  /** Where sync/main.ts writes its JSON (BENCH_OUT; default bench/results.sync.json). */
  readonly out: string;
}

function listEnv(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const list = raw.split(",").map((part) => count(name, part));
  if (list.some((n) => n < 2)) throw new Error(`${name}: a fan-out needs at least 2 clients`);
  return list;
}

function systemsEnv(env: Env): readonly SystemId[] {
  const raw = env["BENCH_SYNC_SYSTEMS"];
  if (raw === undefined || raw.trim() === "") return SYSTEMS;
  const names = raw.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!isSystemId(n))
      throw new Error(`BENCH_SYNC_SYSTEMS: unknown system ${n}; known: ${SYSTEMS.join(", ")}`);
  }
  return SYSTEMS.filter((s) => names.includes(s));
}

/** Reads the sync settings; BENCH_QUICK=1 picks smoke-run sizes. */
export function loadSyncConfig(env: Env): SyncConfig {
  const quick = env["BENCH_QUICK"] === "1" || env["BENCH_QUICK"] === "true";
  return {
    quick,
    systems: systemsEnv(env),
    fanoutClients: listEnv(env, "BENCH_SYNC_CLIENTS", quick ? [10, 50] : [100, 1000]),
    fanoutWrites: Math.max(1, intEnv(env, "BENCH_SYNC_WRITES", 20)),
    fanoutDeliveries: Math.max(1, intEnv(env, "BENCH_SYNC_DELIVERIES", quick ? 50_000 : 1_000_000)),
    window: intEnv(env, "BENCH_SYNC_WINDOW", 4),
    observers: Math.max(1, intEnv(env, "BENCH_SYNC_OBSERVERS", 4)),
    catchupKeys: intEnv(env, "BENCH_SYNC_CATCHUP_KEYS", quick ? 5_000 : 100_000),
    catchupBatch: Math.max(1, intEnv(env, "BENCH_SYNC_CATCHUP_BATCH", 1000)),
    idleDocs: intEnv(env, "BENCH_SYNC_IDLE_DOCS", quick ? 200 : 10_000),
    reps: Math.max(1, intEnv(env, "BENCH_SYNC_REPS", quick ? 1 : 3)),
    idleReps: Math.max(1, intEnv(env, "BENCH_SYNC_IDLE_REPS", 1)),
    connectConcurrency: Math.max(1, intEnv(env, "BENCH_SYNC_CONNECT_CONCURRENCY", 50)),
    timeoutMs: Math.max(1, intEnv(env, "BENCH_SYNC_TIMEOUT_S", quick ? 60 : 120)) * 1000,
    out: env["BENCH_OUT"] ?? fileURLToPath(new URL("../../results.sync.json", import.meta.url)),
  };
}

/** Writes per client in a fan-out of `clients`: BENCH_SYNC_WRITES, lowered to keep deliveries within the bound. */
export function fanoutWritesFor(config: SyncConfig, clients: number): number {
  return Math.max(
    1,
    Math.min(config.fanoutWrites, Math.floor(config.fanoutDeliveries / (clients * (clients - 1)))),
  );
}
