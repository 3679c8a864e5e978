/**
 * converge benchmarks, side by side with Yjs, Automerge and hand-written plain JS, in one process.
 *
 *   pnpm bench                                   (from the workspace root)
 *   BENCH_QUICK=1 node --conditions=@converge/source --expose-gc src/main.ts   (smoke run)
 *
 * Prints aligned tables (progress goes to stderr) and a JSON document, also written to
 * bench/results.json (bench/results.quick.json for BENCH_QUICK). Settings (environment):
 *   BENCH_QUICK=1               small sizes, few repetitions
 *   BENCH_ROUND_SIZES=100000,1000000  whole-round sizes (encode, apply into a written replica, read all)
 *   BENCH_OPS=100000            op path: single-key writes shipped one op each
 *   BENCH_SLOW_S=15             op path: an implementation whose first run is slower runs 2 runs
 *   BENCH_SIZES=100000,1000000  full-state merge sizes
 *   BENCH_REPS=7, BENCH_REPS_LARGE=3   repetitions (the latter at ≥ 1M keys)
 *   BENCH_AUTOMERGE_BUDGET_S=60 skip Automerge at a size estimated to take longer
 *   BENCH_AUTOMERGE_MAX_KEYS    skip Automerge above this size (0: never run it)
 *   BENCH_DELTA_SIZES=100000,1000000, BENCH_DELTA_CHANGED=100, BENCH_DELTA_REPS=15
 *   BENCH_MEMORY_SIZE=1000000
 *   BENCH_COUNTER_REPLICAS=16, BENCH_COUNTER_KEYS=100000
 *   BENCH_HLC_ITERATIONS=1000000, BENCH_HLC_REPS=5
 *   BENCH_TEXT_KEYS=1000        text keys (1 KB each, edited on two replicas)
 *   BENCH_ONLY=round,op-path,full-state,delta,memory,counters,hlc,scripts,text,sync,storage,cluster   run only these
 *   BENCH_SYNC_*                sync side by side with Hocuspocus and y-websocket: see sync/main.ts
 *   BENCH_STORAGE_*             durable writes and loads next to Hocuspocus + SQLite: see storage/main.ts
 *   BENCH_CLUSTER_*             scale-out through Redis beside Hocuspocus + Redis: see cluster/main.ts
 *   BENCH_OUT=path              where to write the JSON document
 *
 * A run that writes the default bench/results.json also regenerates bench/README.md from it
 * (`pnpm --filter @converge/bench run report` does that alone).
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadClusterConfig } from "./cluster/cluster-config.ts";
import { renderCluster } from "./cluster/render-cluster.ts";
import { runCluster } from "./cluster/run-cluster.ts";
import { loadConfig, type Workload } from "./config.ts";
import { machineInfo } from "./machine.ts";
import { DEFAULT_RESULTS, writeReadme } from "./readme.ts";
import {
  renderCounters,
  renderDelta,
  renderFullState,
  renderHeader,
  renderHlc,
  renderMemory,
  renderOpPath,
  renderRound,
  renderTargets,
} from "./sections.ts";
import { sourceInfo } from "./source-info.ts";
import { renderStorage } from "./storage/render-storage.ts";
import { runStorage } from "./storage/run-storage.ts";
import { loadStorageConfig } from "./storage/storage-config.ts";
import { storageTargets } from "./storage/storage-targets.ts";
import { renderSync } from "./sync/render-sync.ts";
import { runSync } from "./sync/run-sync.ts";
import { loadSyncConfig } from "./sync/sync-config.ts";
import { checkTargets } from "./targets.ts";
import { runCounters } from "./workloads/counters.ts";
import { runDelta } from "./workloads/delta.ts";
import { runFullState } from "./workloads/full-state.ts";
import { runHlc } from "./workloads/hlc.ts";
import { runMemory } from "./workloads/memory.ts";
import { runOpPath } from "./workloads/op-path.ts";
import { runRound } from "./workloads/round.ts";
import { renderScripts, runScripts } from "./workloads/scripts.ts";
import { renderText, runText } from "./workloads/text.ts";

const started = performance.now();
const log = (msg: string): void => {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
};
const print = (text: string): void => {
  process.stdout.write(`${text}\n\n`);
};

const config = loadConfig(process.env);
const machine = machineInfo();
const source = sourceInfo();
print(renderHeader(machine, source, config));
const runs = (w: Workload): boolean => config.only.includes(w);

const round = runs("round") ? config.roundSizes.map((n, i) => runRound(config, n, i === 0, log)) : [];
if (round.length > 0) print(renderRound(round));

const opPath = runs("op-path") ? runOpPath(config, log) : undefined;
if (opPath !== undefined) print(renderOpPath(opPath));

const fullState = runs("full-state") ? config.sizes.map((n) => runFullState(config, n, log)) : [];
if (fullState.length > 0) print(renderFullState(fullState));

const delta = runs("delta") ? config.deltaSizes.map((n) => runDelta(config, n, log)) : [];
if (delta.length > 0) print(renderDelta(delta));

const memory = runs("memory") ? await runMemory(config, log) : undefined;
if (memory !== undefined) print(renderMemory(memory));

const counters = runs("counters") ? runCounters(config, log) : undefined;
if (counters !== undefined) print(renderCounters(counters));

const hlc = runs("hlc") ? runHlc(config, log) : [];
if (hlc.length > 0) print(renderHlc(hlc));

const scripts = runs("scripts") ? runScripts(config, log) : undefined;
if (scripts !== undefined) print(renderScripts(scripts));

const text = runs("text") ? runText(config, log) : undefined;
if (text !== undefined) print(renderText(text));

const sync = runs("sync") ? await runSync(loadSyncConfig(process.env), log) : undefined;
if (sync !== undefined) print(renderSync(sync));

const storage = runs("storage") ? await runStorage(loadStorageConfig(process.env), log) : undefined;
if (storage !== undefined) print(renderStorage(storage));

const cluster = runs("cluster") ? await runCluster(loadClusterConfig(process.env), log) : undefined;
if (cluster !== undefined) print(renderCluster(cluster, machine.cores));

const targets = [
  ...checkTargets({ round, opPath, fullState, delta, memory, counters, scripts, text, sync, cluster }),
  ...(storage === undefined ? [] : storageTargets(storage)),
];
if (targets.length > 0) print(renderTargets(targets));

const totalSeconds = (performance.now() - started) / 1000;
const document = {
  benchmark: "converge",
  date: new Date().toISOString(),
  totalSeconds: Math.round(totalSeconds * 10) / 10,
  machine,
  source,
  // No machine paths in the document: the output file relative to the bench package.
  config: { ...config, out: relative(fileURLToPath(new URL("..", import.meta.url)), config.out) },
  round,
  opPath: opPath ?? null,
  fullState,
  delta,
  memory: memory ?? null,
  counters: counters ?? null,
  hlc,
  scripts: scripts ?? null,
  text: text ?? null,
  sync: sync ?? null,
  storage: storage ?? null,
  cluster: cluster ?? null,
  targets,
};
const json = JSON.stringify(document, null, 2);
writeFileSync(config.out, `${json}\n`);
print(`JSON (also written to ${config.out}):\n${json}`);
if (config.out === DEFAULT_RESULTS) log(`regenerated ${writeReadme(DEFAULT_RESULTS)}`);
log(`done in ${totalSeconds.toFixed(1)} s`);
