/**
 * converge benchmarks, side by side with Yjs, Automerge, Loro and hand-written plain JS; each
 * section in a fresh child process of its own, implementations interleaved within it.
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
 *   BENCH_ISOLATE=0             run every section in this process (default: each in a child
 *                               process of its own, the whole round one per size)
 *   BENCH_KEEP=1                keep the sections this run does not measure from the document
 *                               at BENCH_OUT (each keeps its own date, source and load)
 *
 * A run that writes the default bench/results.json also regenerates bench/README.md from it
 * (`pnpm --filter @converge/bench run report` does that alone).
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "./config.ts";
import { type ChildOutput, runIsolated } from "./isolated-run.ts";
import { keptSections } from "./kept-sections.ts";
import { machineInfo } from "./machine.ts";
import { DEFAULT_RESULTS, writeReadme } from "./readme.ts";
import { runWorkloads, SECTION_FIELD, type SectionResults } from "./run-workloads.ts";
import type { SectionRuns } from "./section-run.ts";
import { renderHeader, renderTargets } from "./sections.ts";
import { sourceInfo } from "./source-info.ts";
import { storageTargets } from "./storage/storage-targets.ts";
import { checkTargets } from "./targets.ts";

const started = performance.now();
const childOut = process.env["BENCH_CHILD_OUT"];
// A child's progress lines carry its section: its clock starts when the section does.
const label = childOut === undefined ? "bench" : `bench ${process.env["BENCH_ONLY"] ?? ""}`;
const log = (msg: string): void => {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${label} ${s}s] ${msg}\n`);
};
const print = (text: string): void => {
  process.stdout.write(`${text}\n\n`);
};

const config = loadConfig(process.env);
const machine = machineInfo();

if (childOut !== undefined) {
  // A child of an isolated run: measure, print the tables, hand the results to the parent.
  const output: ChildOutput = await runWorkloads(config, machine.cores, log, print, "own");
  writeFileSync(childOut, JSON.stringify(output));
} else {
  const source = sourceInfo();
  print(renderHeader(machine, source, config));
  const measured =
    process.env["BENCH_ISOLATE"] === "0"
      ? await runWorkloads(config, machine.cores, log, print, "shared")
      : await runIsolated(config, log);
  const kept = process.env["BENCH_KEEP"] === "1" ? keptSections(config.out, config.only) : undefined;
  const results: Record<string, unknown> = { ...(kept?.results ?? measured.results) };
  for (const w of config.only) results[SECTION_FIELD[w]] = measured.results[SECTION_FIELD[w]];
  const all = results as unknown as SectionResults;
  const sections: SectionRuns = { ...kept?.runs, ...measured.runs };

  const targets = [
    ...checkTargets({
      round: all.round,
      opPath: all.opPath ?? undefined,
      fullState: all.fullState,
      delta: all.delta,
      memory: all.memory ?? undefined,
      counters: all.counters ?? undefined,
      scripts: all.scripts ?? undefined,
      text: all.text ?? undefined,
      sync: all.sync ?? undefined,
      cluster: all.cluster ?? undefined,
    }),
    ...(all.storage === null ? [] : storageTargets(all.storage)),
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
    ...all,
    sections,
    targets,
  };
  const json = JSON.stringify(document, null, 2);
  writeFileSync(config.out, `${json}\n`);
  print(`JSON (also written to ${config.out}):\n${json}`);
  for (const [w, run] of Object.entries(sections))
    if (run.failed !== undefined) log(`${w} FAILED: ${run.failed}`);
  if (config.out === DEFAULT_RESULTS) log(`regenerated ${writeReadme(DEFAULT_RESULTS)}`);
  log(`done in ${totalSeconds.toFixed(1)} s`);
}
