/**
 * Writes bench/README.md from a results document (default bench/results.json):
 *
 *   pnpm --filter @converge/bench run report [path/to/results.json]
 *
 * The same tables as the terminal, as Markdown, with the machine and the date of the run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clusterReadmeText } from "./cluster/readme-text.ts";
import { renderCluster } from "./cluster/render-cluster.ts";
import type { ClusterResult } from "./cluster/run-cluster.ts";
import type { BenchConfig } from "./config.ts";
import { renderHeadline, withHeadline } from "./headline.ts";
import type { MachineInfo } from "./machine.ts";
import { fmtBytes, fmtCount, setTableFormat } from "./report.ts";
import type { SectionRun, SectionRuns } from "./section-run.ts";
import {
  renderCounters,
  renderDelta,
  renderFullState,
  renderHlc,
  renderMemory,
  renderOpPath,
  renderRound,
  renderTargets,
} from "./sections.ts";
import type { SourceInfo } from "./source-info.ts";
import { renderStorage } from "./storage/render-storage.ts";
import type { StorageResult } from "./storage/run-storage.ts";
import { syncReadmeText } from "./sync/readme-text.ts";
import { renderSync } from "./sync/render-sync.ts";
import type { SyncResult } from "./sync/run-sync.ts";
import type { TargetCheck } from "./targets.ts";
import type { CountersResult } from "./workloads/counters.ts";
import type { DeltaResult } from "./workloads/delta.ts";
import type { FullStateResult } from "./workloads/full-state.ts";
import type { HlcResult } from "./workloads/hlc.ts";
import type { MemoryResult } from "./workloads/memory.ts";
import type { OpPathResult } from "./workloads/op-path.ts";
import type { RoundResult } from "./workloads/round.ts";
import { renderScripts, type ScriptsResult } from "./workloads/scripts.ts";
import { renderText, type TextResult } from "./workloads/text.ts";

/** The JSON document a bench run writes (bench/results.json). */
export interface ResultsDocument {
  readonly benchmark: string;
  readonly date: string;
  readonly totalSeconds: number;
  readonly machine: MachineInfo;
  readonly source: SourceInfo;
  readonly config: BenchConfig;
  /** Absent in documents written before the whole round was measured. */
  readonly round?: readonly RoundResult[];
  readonly opPath?: OpPathResult | null;
  readonly fullState: readonly FullStateResult[];
  readonly delta: readonly DeltaResult[];
  readonly memory: MemoryResult | null;
  readonly counters: CountersResult | null;
  readonly hlc: readonly HlcResult[];
  readonly scripts: ScriptsResult | null;
  /** Absent in documents written before text keys were measured. */
  readonly text?: TextResult | null;
  /** Absent in documents written before sync was measured. */
  readonly sync?: SyncResult | null;
  /** Absent in documents written before storage was measured. */
  readonly storage?: StorageResult | null;
  /** Absent in documents written before the cluster section existed. */
  readonly cluster?: ClusterResult | null;
  /** When and how each section was measured; absent in documents written before sections ran apart. */
  readonly sections?: SectionRuns;
  readonly targets: readonly TargetCheck[];
}

function sectionRow(name: string, r: SectionRun): string {
  const when = r.date.slice(0, 16).replace("T", " ");
  const dirty = r.source.uncommitted.length > 0 ? " + uncommitted" : "";
  const load = r.load === null ? "-" : `${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}`;
  const proc = r.process === "own" ? "its own" : "shared";
  const status =
    (r.failed === undefined ? "ok" : `FAILED: ${r.failed.replace(/\|/g, "/")}`) +
    (r.note === undefined ? "" : ` (${r.note.replace(/\|/g, "/")})`);
  return `| ${name} | ${when} | ${r.source.commit ?? "unknown"}${dirty} | ${load} | ${r.seconds > 0 ? `${Math.round(r.seconds)} s` : "-"} | ${proc} | ${status} |`;
}

/** Which sections this document holds, and when, on what source and under what load each ran. */
function renderSectionRuns(runs: SectionRuns): string {
  const rows = Object.entries(runs).map(([name, r]) => sectionRow(name, r));
  return [
    "| section | measured (UTC) | commit | load (1 min) start → end | time | process | status |",
    "| --- | --- | --- | ---: | ---: | --- | --- |",
    ...rows,
  ].join("\n");
}

/** bench/results.json. */
export const DEFAULT_RESULTS: string = fileURLToPath(new URL("../results.json", import.meta.url));
const README = fileURLToPath(new URL("../README.md", import.meta.url));

/** The Markdown text of a results document. */
export function renderReadme(doc: ResultsDocument): string {
  setTableFormat("markdown");
  try {
    const m = doc.machine;
    const sections: string[] = [];
    const add = (text: string): void => {
      sections.push(text);
    };
    if (doc.targets.length > 0) add(renderTargets(doc.targets));
    if (doc.round !== undefined && doc.round.length > 0) add(renderRound(doc.round));
    if (doc.opPath !== undefined && doc.opPath !== null) add(renderOpPath(doc.opPath));
    if (doc.fullState.length > 0) add(renderFullState(doc.fullState));
    if (doc.delta.length > 0) add(renderDelta(doc.delta));
    if (doc.memory !== null) add(renderMemory(doc.memory));
    if (doc.counters !== null) add(renderCounters(doc.counters));
    if (doc.hlc.length > 0) add(renderHlc(doc.hlc));
    if (doc.scripts !== null) add(renderScripts(doc.scripts));
    if (doc.text !== undefined && doc.text !== null) add(renderText(doc.text));
    if (doc.sync !== undefined && doc.sync !== null)
      add(`${syncReadmeText(doc.sync)}\n\n${renderSync(doc.sync)}`);
    if (doc.storage !== undefined && doc.storage !== null) add(renderStorage(doc.storage));
    if (doc.cluster !== undefined && doc.cluster !== null)
      add(`${clusterReadmeText(doc.cluster)}\n\n${renderCluster(doc.cluster, m.cores)}`);
    const uncommitted = doc.source.uncommitted.length > 0 ? " plus uncommitted changes under packages/" : "";
    return [
      "# converge benchmarks",
      "",
      "Generated from [`results.json`](results.json) by `pnpm --filter @converge/bench run report`",
      "(a full `./run bench` regenerates both). Do not edit by hand.",
      "",
      `- date: ${doc.date.slice(0, 16).replace("T", " ")} UTC; the run took ${Math.round(doc.totalSeconds)} s${doc.sections === undefined ? "" : " (sections measured at the times listed below)"}`,
      `- source: commit ${doc.source.commit ?? "unknown"}${uncommitted}`,
      `- machine: ${m.cpu}, ${m.cores} cores, ${fmtBytes(m.totalMemoryBytes)} RAM, ${m.platform}`,
      `- runtime: Node ${m.node} (V8 ${m.v8}), heap limit ${fmtBytes(m.heapLimitBytes)}, GC exposed: ${m.gcExposed ? "yes" : "no"}`,
      `- workloads: ${doc.sections === undefined ? doc.config.only.join(", ") : Object.keys(doc.sections).join(", ")}; whole round at ${doc.config.roundSizes.map(fmtCount).join(", ")} keys, op path ${fmtCount(doc.config.ops)} writes, full-state ${doc.config.sizes.map(fmtCount).join(", ")}, deltas ${doc.config.deltaSizes.map(fmtCount).join(", ")}, memory ${fmtCount(doc.config.memorySize)}`,
      ...(doc.sync === undefined || doc.sync === null
        ? []
        : [
            `- sync: fan-out ${doc.sync.fanout.map((f) => `${fmtCount(f.clients)} clients × ${f.writesPerClient} writes`).join(", ")}; catch-up ${doc.sync.catchup === null ? "skipped" : `${fmtCount(doc.sync.catchup.keys)} keys`}; idle ${doc.sync.idle === null ? "skipped" : `${fmtCount(doc.sync.idle.documents)} documents`}; ${doc.sync.reps} run(s) each (idle ${doc.sync.idleReps}); systems ${doc.sync.systems.join(", ")}`,
          ]),
      `- settings: ${doc.config.quick ? "BENCH_QUICK (smoke-run sizes, not representative); " : ""}repetitions ${doc.config.reps} (${doc.config.repsLarge} at 1M keys)`,
      "",
      'Times are medians of the recorded runs; "cold" is the first run in the process. The machine',
      "may be shared with other work, so compare ratios within this run rather than absolute times.",
      ...(doc.sections === undefined
        ? []
        : [
            "",
            "Each section ran in a fresh process of its own unless the table says otherwise; a partial",
            "run (`BENCH_ONLY` with `BENCH_KEEP=1`) replaces only the sections it measured, so the",
            "sections below may come from different runs and sources:",
            "",
            renderSectionRuns(doc.sections),
          ]),
      "",
      sections.join("\n\n"),
      "",
    ].join("\n");
  } finally {
    setTableFormat("text");
  }
}

/** The repository's front page, whose headline tables come from bench/results.json. */
export const ROOT_README: string = fileURLToPath(new URL("../../README.md", import.meta.url));

/**
 * Reads `resultsPath`, writes bench/README.md and, for the default results, the headline block of
 * the repository's README.md; returns bench/README.md's path.
 */
export function writeReadme(resultsPath: string = DEFAULT_RESULTS): string {
  // Our own document, written by main.ts with this shape.
  const doc = JSON.parse(readFileSync(resultsPath, "utf8")) as ResultsDocument;
  writeFileSync(README, renderReadme(doc));
  if (resultsPath === DEFAULT_RESULTS)
    writeFileSync(ROOT_README, withHeadline(readFileSync(ROOT_README, "utf8"), renderHeadline(doc)));
  return README;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = writeReadme(process.argv[2] ?? DEFAULT_RESULTS);
  process.stdout.write(`wrote ${written}\n`);
}
