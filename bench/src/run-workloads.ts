import { loadClusterConfig } from "./cluster/cluster-config.ts";
import { renderCluster } from "./cluster/render-cluster.ts";
import type { ClusterResult } from "./cluster/run-cluster.ts";
import { runCluster } from "./cluster/run-cluster.ts";
import type { BenchConfig, Workload } from "./config.ts";
import { type SectionRuns, startSection } from "./section-run.ts";
import {
  renderCounters,
  renderDelta,
  renderFullState,
  renderHlc,
  renderMemory,
  renderOpPath,
  renderRound,
} from "./sections.ts";
import { renderStorage } from "./storage/render-storage.ts";
import { runStorage, type StorageResult } from "./storage/run-storage.ts";
import { loadStorageConfig } from "./storage/storage-config.ts";
import { renderSync } from "./sync/render-sync.ts";
import { runSync, type SyncResult } from "./sync/run-sync.ts";
import { loadSyncConfig } from "./sync/sync-config.ts";
import { type CountersResult, runCounters } from "./workloads/counters.ts";
import { type DeltaResult, runDelta } from "./workloads/delta.ts";
import { type FullStateResult, runFullState } from "./workloads/full-state.ts";
import { type HlcResult, runHlc } from "./workloads/hlc.ts";
import { type MemoryResult, runMemory } from "./workloads/memory.ts";
import { type OpPathResult, runOpPath } from "./workloads/op-path.ts";
import { type RoundResult, runRound } from "./workloads/round.ts";
import { renderScripts, runScripts, type ScriptsResult } from "./workloads/scripts.ts";
import { renderText, runText, type TextResult } from "./workloads/text.ts";

/** Every section's results, as the results document holds them (null or empty: not measured). */
export interface SectionResults {
  readonly round: readonly RoundResult[];
  readonly opPath: OpPathResult | null;
  readonly fullState: readonly FullStateResult[];
  readonly delta: readonly DeltaResult[];
  readonly memory: MemoryResult | null;
  readonly counters: CountersResult | null;
  readonly hlc: readonly HlcResult[];
  readonly scripts: ScriptsResult | null;
  readonly text: TextResult | null;
  readonly sync: SyncResult | null;
  readonly storage: StorageResult | null;
  readonly cluster: ClusterResult | null;
}

/** The document field that holds each workload's results. */
export const SECTION_FIELD: Readonly<Record<Workload, keyof SectionResults>> = {
  round: "round",
  "op-path": "opPath",
  "full-state": "fullState",
  delta: "delta",
  memory: "memory",
  counters: "counters",
  hlc: "hlc",
  scripts: "scripts",
  text: "text",
  sync: "sync",
  storage: "storage",
  cluster: "cluster",
};

/** Nothing measured. */
export const NO_RESULTS: SectionResults = {
  round: [],
  opPath: null,
  fullState: [],
  delta: [],
  memory: null,
  counters: null,
  hlc: [],
  scripts: null,
  text: null,
  sync: null,
  storage: null,
  cluster: null,
};

type Results = { -readonly [K in keyof SectionResults]: SectionResults[K] };

/**
 * Runs `config.only` in this process, one section after the other, printing each section's tables
 * as it ends; `process` says whether this process runs only them (a child of an isolated run).
 */
export async function runWorkloads(
  config: BenchConfig,
  cores: number,
  log: (msg: string) => void,
  print: (text: string) => void,
  process: "own" | "shared",
): Promise<{ readonly results: SectionResults; readonly runs: SectionRuns }> {
  const r: Results = { ...NO_RESULTS };
  const runs: SectionRuns = {};
  for (const w of config.only) {
    const end = startSection(process);
    switch (w) {
      case "round":
        r.round = config.roundSizes.map((n, i) => runRound(config, n, i === 0, log));
        print(renderRound(r.round));
        break;
      case "op-path":
        r.opPath = runOpPath(config, log);
        print(renderOpPath(r.opPath));
        break;
      case "full-state":
        r.fullState = config.sizes.map((n) => runFullState(config, n, log));
        print(renderFullState(r.fullState));
        break;
      case "delta":
        r.delta = config.deltaSizes.map((n) => runDelta(config, n, log));
        print(renderDelta(r.delta));
        break;
      case "memory":
        r.memory = await runMemory(config, log);
        print(renderMemory(r.memory));
        break;
      case "counters":
        r.counters = runCounters(config, log);
        print(renderCounters(r.counters));
        break;
      case "hlc":
        r.hlc = runHlc(config, log);
        print(renderHlc(r.hlc));
        break;
      case "scripts":
        r.scripts = runScripts(config, log);
        print(renderScripts(r.scripts));
        break;
      case "text":
        r.text = runText(config, log);
        print(renderText(r.text));
        break;
      case "sync":
        r.sync = await runSync(loadSyncConfig(globalThis.process.env), log);
        print(renderSync(r.sync));
        break;
      case "storage":
        r.storage = await runStorage(loadStorageConfig(globalThis.process.env), log);
        print(renderStorage(r.storage));
        break;
      case "cluster":
        r.cluster = await runCluster(loadClusterConfig(globalThis.process.env), log);
        print(renderCluster(r.cluster, cores));
        break;
    }
    runs[w] = end();
  }
  return { results: r, runs };
}
