import { type AckResult, runAcks } from "./run-acks.ts";
import { type LoadResult, runLoad } from "./run-load.ts";
import type { StorageConfig } from "./storage-config.ts";

/** The storage section's results (also the `storage` field of the bench JSON). */
export interface StorageResult {
  readonly clients: number;
  readonly window: number;
  readonly seconds: number;
  readonly acks: readonly AckResult[];
  readonly load: LoadResult | null;
}

/** Runs the durable-writes workload, then the large-document load (unless `loadKeys` is 0). */
export async function runStorage(config: StorageConfig, log: (m: string) => void): Promise<StorageResult> {
  const acks = await runAcks(config, log);
  const load = config.loadKeys > 0 ? await runLoad(config.loadKeys, config.reps, log) : null;
  return { clients: config.clients, window: config.window, seconds: config.seconds, acks, load };
}
