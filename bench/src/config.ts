import { fileURLToPath } from "node:url";

/** Benchmark settings, read from the environment (every BENCH_* variable is listed in main.ts). */
export interface BenchConfig {
  /** BENCH_QUICK=1: small sizes and few repetitions, for a smoke run. */
  readonly quick: boolean;
  /** Whole round: key counts (BENCH_ROUND_SIZES, comma-separated). */
  readonly roundSizes: readonly number[];
  /** Op path: single-key writes shipped one op each (BENCH_OPS). */
  readonly ops: number;
  /** Op path: an implementation whose first run takes longer than this runs fewer rounds (BENCH_SLOW_S). */
  readonly slowMs: number;
  /** Full-state merge: key counts (BENCH_SIZES, comma-separated). */
  readonly sizes: readonly number[];
  /** Repetitions below one million keys (BENCH_REPS). */
  readonly reps: number;
  /** Repetitions at one million keys and above (BENCH_REPS_LARGE). */
  readonly repsLarge: number;
  /** Automerge is skipped at a size whose estimated run time exceeds this (BENCH_AUTOMERGE_BUDGET_S). */
  readonly automergeBudgetMs: number;
  /** Automerge is skipped above this many keys (BENCH_AUTOMERGE_MAX_KEYS; 0 disables Automerge). */
  readonly automergeMaxKeys: number;
  /** Delta: replica sizes (BENCH_DELTA_SIZES). */
  readonly deltaSizes: readonly number[];
  /** Delta: keys changed between two syncs (BENCH_DELTA_CHANGED). */
  readonly deltaChanged: number;
  /** Delta: repetitions (BENCH_DELTA_REPS). */
  readonly deltaReps: number;
  /** Memory: keys in the measured map (BENCH_MEMORY_SIZE). */
  readonly memorySize: number;
  /** Counters: replicas (BENCH_COUNTER_REPLICAS). */
  readonly counterReplicas: number;
  /** Counters: keys each replica increments (BENCH_COUNTER_KEYS). */
  readonly counterKeys: number;
  /** HLC: iterations per repetition (BENCH_HLC_ITERATIONS). */
  readonly hlcIterations: number;
  /** HLC: repetitions (BENCH_HLC_REPS). */
  readonly hlcReps: number;
  /** Workloads to run (BENCH_ONLY, comma-separated names from {@link WORKLOADS}); default all. */
  readonly only: readonly Workload[];
  /** Where the JSON document is written (BENCH_OUT); default bench/results.json (results.quick.json when quick). */
  readonly out: string;
}

/**
 * Unrecorded runs before the recorded ones, for every implementation alike: the first run of a
 * merge also pays for compiling it (V8 tiers a hot loop up while it runs), which is not what a
 * long-lived replica pays.
 */
export const FULL_STATE_WARMUP = 2;

type Env = Readonly<Record<string, string | undefined>>;

/** The workloads, in the order they run. */
export const WORKLOADS: readonly [
  "round",
  "op-path",
  "full-state",
  "delta",
  "memory",
  "counters",
  "hlc",
  "scripts",
  "text",
  "sync",
  "storage",
  "cluster",
] = [
  // The whole round first: its first rounds are then the process's cold ones.
  "round",
  "op-path",
  "full-state",
  "delta",
  "memory",
  "counters",
  "hlc",
  "scripts",
  "text",
  // Sync last: it forks server processes and opens thousands of sockets (settings: sync/main.ts).
  "sync",
  "storage",
  // Scale-out through Redis: forks server processes and a private redis-server (cluster/main.ts).
  "cluster",
];

/** A workload's name. */
export type Workload = (typeof WORKLOADS)[number];

function isWorkload(name: string): name is Workload {
  return (WORKLOADS as readonly string[]).includes(name);
}

function workloadsEnv(env: Env): readonly Workload[] {
  const raw = env["BENCH_ONLY"];
  if (raw === undefined || raw.trim() === "") return WORKLOADS;
  const names = raw.split(",").map((s) => s.trim());
  for (const name of names) {
    if (!isWorkload(name))
      throw new Error(`BENCH_ONLY: unknown workload ${name}; known: ${WORKLOADS.join(", ")}`);
  }
  return WORKLOADS.filter((w) => names.includes(w));
}

function positiveInt(name: string, text: string): number {
  const n = Number(text.trim().replace(/_/g, ""));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: ${JSON.stringify(text)} is not a count`);
  return n;
}

function intEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  return raw === undefined || raw.trim() === "" ? fallback : positiveInt(name, raw);
}

function listEnv(env: Env, name: string, fallback: readonly number[]): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const list = raw.split(",").map((part) => positiveInt(name, part));
  if (list.length === 0 || list.some((n) => n === 0)) throw new Error(`${name}: sizes must be positive`);
  return list;
}

/** Reads the configuration; every setting has a default and BENCH_QUICK picks smaller ones. */
export function loadConfig(env: Env): BenchConfig {
  const quick = env["BENCH_QUICK"] === "1" || env["BENCH_QUICK"] === "true";
  const maxKeys = intEnv(env, "BENCH_AUTOMERGE_MAX_KEYS", Number.MAX_SAFE_INTEGER);
  return {
    quick,
    roundSizes: listEnv(env, "BENCH_ROUND_SIZES", quick ? [10_000] : [100_000, 1_000_000]),
    ops: Math.max(1, intEnv(env, "BENCH_OPS", quick ? 10_000 : 100_000)),
    slowMs: intEnv(env, "BENCH_SLOW_S", 15) * 1000,
    sizes: listEnv(env, "BENCH_SIZES", quick ? [10_000] : [100_000, 1_000_000]),
    reps: Math.max(1, intEnv(env, "BENCH_REPS", quick ? 3 : 7)),
    repsLarge: Math.max(1, intEnv(env, "BENCH_REPS_LARGE", 3)),
    automergeBudgetMs: intEnv(env, "BENCH_AUTOMERGE_BUDGET_S", 60) * 1000,
    automergeMaxKeys: maxKeys,
    deltaSizes: listEnv(env, "BENCH_DELTA_SIZES", quick ? [5_000, 20_000] : [100_000, 1_000_000]),
    deltaChanged: Math.max(1, intEnv(env, "BENCH_DELTA_CHANGED", 100)),
    deltaReps: Math.max(1, intEnv(env, "BENCH_DELTA_REPS", quick ? 5 : 15)),
    memorySize: Math.max(1, intEnv(env, "BENCH_MEMORY_SIZE", quick ? 20_000 : 1_000_000)),
    counterReplicas: Math.max(1, intEnv(env, "BENCH_COUNTER_REPLICAS", 16)),
    counterKeys: Math.max(1, intEnv(env, "BENCH_COUNTER_KEYS", quick ? 5_000 : 100_000)),
    hlcIterations: Math.max(1, intEnv(env, "BENCH_HLC_ITERATIONS", quick ? 100_000 : 1_000_000)),
    hlcReps: Math.max(1, intEnv(env, "BENCH_HLC_REPS", quick ? 3 : 5)),
    only: workloadsEnv(env),
    // A smoke run does not overwrite the real results.
    out:
      env["BENCH_OUT"] ??
      fileURLToPath(new URL(quick ? "../results.quick.json" : "../results.json", import.meta.url)),
  };
}

/** Repetitions for a workload of `n` keys. */
export function repsFor(config: BenchConfig, n: number): number {
  return n >= 1_000_000 ? Math.min(config.reps, config.repsLarge) : config.reps;
}
