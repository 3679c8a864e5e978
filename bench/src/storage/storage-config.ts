import { fileURLToPath } from "node:url";
import { intEnv } from "../env-count.ts";
import { STORAGE_SYSTEMS, type StorageSystem } from "./storage-systems.ts";

/** Settings of the storage bench (environment; see storage/main.ts). */
export interface StorageConfig {
  readonly systems: readonly StorageSystem[];
  readonly clients: number;
  /** Writes each client keeps in flight (unacknowledged) at most. */
  readonly window: number;
  readonly seconds: number;
  readonly reps: number;
  /** Keys of the document the load workload stores and loads (0 skips it). */
  readonly loadKeys: number;
  readonly timeoutMs: number;
  readonly out: string;
}

/** Reads BENCH_STORAGE_* (and BENCH_QUICK for smoke sizes). */
export function loadStorageConfig(env: NodeJS.ProcessEnv): StorageConfig {
  const quick = env["BENCH_QUICK"] === "1";
  const systems = (env["BENCH_STORAGE_SYSTEMS"] ?? STORAGE_SYSTEMS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const s of systems)
    if (!(STORAGE_SYSTEMS as readonly string[]).includes(s))
      throw new Error(`BENCH_STORAGE_SYSTEMS: unknown ${s}; known: ${STORAGE_SYSTEMS.join(", ")}`);
  return {
    systems: systems as StorageSystem[],
    clients: intEnv(env, "BENCH_STORAGE_CLIENTS", quick ? 4 : 20),
    window: intEnv(env, "BENCH_STORAGE_WINDOW", 16),
    seconds: intEnv(env, "BENCH_STORAGE_SECONDS", quick ? 2 : 8),
    reps: intEnv(env, "BENCH_STORAGE_REPS", quick ? 1 : 3),
    loadKeys: intEnv(env, "BENCH_STORAGE_LOAD_KEYS", quick ? 10_000 : 1_000_000),
    timeoutMs: intEnv(env, "BENCH_STORAGE_TIMEOUT_S", 60) * 1000,
    out:
      env["BENCH_OUT"] ??
      fileURLToPath(
        new URL(quick ? "../../results.storage.quick.json" : "../../results.storage.json", import.meta.url),
      ),
  };
}
