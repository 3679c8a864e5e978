import type { BenchConfig } from "./config.ts";
import type { MachineInfo } from "./machine.ts";
import { fmtBytes, fmtCount, fmtInt, fmtMs, fmtOps, fmtRatio, ratio, renderTable } from "./report.ts";
import type { SourceInfo } from "./source-info.ts";
import type { TargetCheck } from "./targets.ts";
import type { CountersResult } from "./workloads/counters.ts";
import type { DeltaResult } from "./workloads/delta.ts";
import type { FullStateResult } from "./workloads/full-state.ts";
import type { HlcResult } from "./workloads/hlc.ts";
import type { MemoryResult } from "./workloads/memory.ts";
import type { OpPathResult } from "./workloads/op-path.ts";
import type { RoundResult, RoundSample } from "./workloads/round.ts";

const R = "right" as const;

/** The header: machine and settings. */
export function renderHeader(machine: MachineInfo, source: SourceInfo, config: BenchConfig): string {
  const changes = source.uncommitted.map((line) => line.trim().replace(/^\S+\s+/, ""));
  return [
    `converge benchmark${config.quick ? " (BENCH_QUICK: smoke-run sizes, not representative)" : ""}`,
    `node ${machine.node} (V8 ${machine.v8}), ${machine.platform}`,
    `cpu: ${machine.cpu} × ${machine.cores} cores, RAM ${fmtBytes(machine.totalMemoryBytes)}, heap limit ${fmtBytes(machine.heapLimitBytes)}`,
    `gc exposed: ${machine.gcExposed ? "yes" : "NO (run with --expose-gc; memory numbers unreliable)"}`,
    `source: commit ${source.commit ?? "unknown"}${changes.length > 0 ? ` + uncommitted changes in ${changes.join(", ")}` : ""}`,
    "all times: median of repetitions (timings on a shared machine are noisy; compare ratios within one run)",
  ].join("\n");
}

/** The whole round: one table per size, warm medians with the cold round beside them. */
export function renderRound(results: readonly RoundResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const base = r.results.find((x) => x.impl === "converge")?.warm ?? null;
    const cell = (s: RoundSample | null, f: (s: RoundSample) => number | null): string =>
      s === null ? "" : fmtMs(f(s));
    const rows = r.results.map((x) =>
      x.status !== "ok"
        ? [x.impl, "skipped", "", "", "", "", "", "", "", x.note.replace(/^skipped /, "")]
        : [
            x.impl,
            cell(x.warm, (s) => s.encodeMs),
            cell(x.warm, (s) => s.applyMs),
            cell(x.warm, (s) => s.readMs),
            cell(x.warm, (s) => s.roundMs),
            fmtRatio(ratio(x.warm?.roundMs, base?.roundMs)),
            cell(x.cold, (s) => s.roundMs),
            cell(x.warm, (s) => s.applyRedecodedMs),
            x.warm?.payloadBytes === null || x.warm === null ? "" : fmtBytes(x.warm.payloadBytes),
            x.note,
          ],
    );
    out.push(
      renderTable(
        `Whole round, ${fmtCount(r.keys)} concurrent lww keys: encode on the source, apply (decode + merge) into a target built by its own writes, read every key; implementations interleaved round by round; median of ${r.reps} rounds after ${r.warmup} warm-up rounds${r.firstInProcess ? "" : " (cold: first round at this size, after smaller sizes ran)"}`,
        [
          { header: "implementation" },
          { header: "encode", align: R },
          { header: "apply", align: R },
          { header: "read all", align: R },
          { header: "whole round", align: R },
          { header: "round / converge", align: R },
          { header: "cold round", align: R },
          { header: "apply into re-decoded", align: R },
          { header: "payload", align: R },
          { header: "note" },
        ],
        rows,
      ),
    );
  }
  return out.join("\n\n");
}

/** The op path. */
export function renderOpPath(r: OpPathResult): string {
  const base = r.results.find((x) => x.impl === "converge")?.opsPerSec ?? null;
  return renderTable(
    `Op path: ${fmtInt(r.ops)} single-key writes on A, each shipped to B as one op the moment it is made (write + encode + apply); median of ${r.reps} runs after two warm-up runs`,
    [
      { header: "implementation" },
      { header: "median", align: R },
      { header: "ops/sec", align: R },
      { header: "bytes/op", align: R },
      { header: "ops/sec / converge", align: R },
      { header: "cold run", align: R },
      { header: "note" },
    ],
    r.results.map((x) =>
      x.status !== "ok"
        ? [x.impl, "skipped", "", "", "", "", x.note]
        : [
            x.impl,
            fmtMs(x.medianMs),
            x.opsPerSec === null ? "-" : fmtOps(x.opsPerSec),
            x.bytesPerOp === null ? "-" : x.bytesPerOp.toFixed(1),
            fmtRatio(ratio(x.opsPerSec, base)),
            fmtMs(x.coldMs),
            x.note,
          ],
    ),
  );
}

/** Workload 1. */
export function renderFullState(results: readonly FullStateResult[]): string {
  const rows: string[][] = [];
  for (const f of results) {
    const base = f.results.find((r) => r.impl === "converge")?.medianMs ?? null;
    for (const r of f.results) {
      rows.push([
        fmtCount(f.keys),
        r.impl,
        r.status === "ok" ? fmtMs(r.medianMs) : "skipped",
        r.payloadBytes === null ? "" : fmtBytes(r.payloadBytes),
        r.status === "ok" ? fmtRatio(ratio(r.medianMs, base)) : "",
        r.status === "ok" ? `${r.samplesMs.length}` : "",
        r.status === "ok" && r.warmupMs.length > 0 ? fmtMs(r.warmupMs[0] ?? null) : "",
        r.note.replace(/^skipped /, ""),
      ]);
    }
  }
  const table = renderTable(
    "1. Full-state merge: decode + merge of B's full state into A (all keys written concurrently on A and B, lww); implementations interleaved run by run (Automerge after them); median of the runs after two unrecorded warm-up rounds",
    [
      { header: "keys", align: R },
      { header: "implementation" },
      { header: "median", align: R },
      { header: "payload", align: R },
      { header: "time / converge", align: R },
      { header: "reps", align: R },
      { header: "first (cold) run", align: R },
      { header: "note" },
    ],
    rows,
  );
  const ratios = renderTable(
    "   ratios (same run)",
    [
      { header: "keys", align: R },
      { header: "converge speedup vs Yjs", align: R },
      { header: "vs Automerge", align: R },
      { header: "converge / plain JS (JSON)", align: R },
      { header: "converge / plain JS (in-memory)", align: R },
      { header: "with subscriber (keys) / without", align: R },
      { header: "subscriber reading changes / without", align: R },
    ],
    results.map((f) => [
      fmtCount(f.keys),
      fmtRatio(f.yjsOverConverge),
      fmtRatio(f.automergeOverConverge),
      fmtRatio(f.convergeOverPlainJson),
      fmtRatio(f.convergeOverPlainMemory),
      fmtRatio(f.subscriberSlowdown),
      fmtRatio(f.changesSubscriberSlowdown ?? null),
    ]),
  );
  return `${table}\n\n${ratios}`;
}

/** Workload 2. */
export function renderDelta(results: readonly DeltaResult[]): string {
  const rows: string[][] = [];
  for (const d of results) {
    for (const r of d.results) {
      rows.push([
        fmtCount(d.keys),
        `${d.changed}`,
        r.impl,
        fmtMs(r.medianMs),
        r.afterGcMedianMs === undefined ? "-" : fmtMs(r.afterGcMedianMs),
        fmtInt(r.deltaBytes),
        `${r.samplesMs.length}`,
      ]);
    }
  }
  const table = renderTable(
    "2. Delta sync: encode delta since B's version + apply on B, after N keys changed on a synced single-writer replica",
    [
      { header: "keys", align: R },
      { header: "changed", align: R },
      { header: "implementation" },
      { header: "median (encode+apply)", align: R },
      { header: "after a forced GC", align: R },
      { header: "delta bytes", align: R },
      { header: "reps", align: R },
    ],
    rows,
  );
  const note = `\n   After ${results[0]?.warmup ?? 2} unrecorded warm-up rounds per implementation, reps run in two blocks of the same size: back to back, as a live sync loop runs them (the median), then each right after a forced full GC (a JS heap pays for a collection in the operations after it; Loro's wasm heap is not collected).`;
  const first = results[0];
  const last = results[results.length - 1];
  if (first === undefined || last === undefined || first === last) return table + note;
  const scaling = (impl: string): string => {
    const a = first.results.find((r) => r.impl === impl)?.medianMs;
    const b = last.results.find((r) => r.impl === impl)?.medianMs;
    return fmtRatio(ratio(b, a));
  };
  return `${table}${note}\n   time at ${fmtCount(last.keys)} / time at ${fmtCount(first.keys)} keys (≈1× means O(changed)): converge ${scaling("converge")}, Yjs ${scaling("Yjs")}, Loro ${scaling("Loro")}`;
}

/** Workload 3. */
export function renderMemory(m: MemoryResult): string {
  const rows = m.results.map((r) => {
    const base = m.results.find((x) => x.impl === "converge" && x.phase === r.phase)?.bytesPerKey ?? null;
    return [
      r.impl,
      r.phase === "written" ? "one writer" : "after a concurrent merge",
      fmtBytes(r.heapBytes),
      fmtBytes(r.arrayBufferBytes),
      r.bytesPerKey.toFixed(1),
      r.heapBytesPerKey.toFixed(1),
      fmtRatio(ratio(r.bytesPerKey, base)),
    ];
  });
  const table = renderTable(
    `3. Memory held by a ${fmtCount(m.keys)}-key lww map (heapUsed + arrayBuffers after − before, after full GC)${m.gcExposed ? "" : " [NO --expose-gc: unreliable]"}`,
    [
      { header: "implementation" },
      { header: "map" },
      { header: "heap", align: R },
      { header: "array buffers", align: R },
      { header: "bytes/key", align: R },
      { header: "heap only /key", align: R },
      { header: "vs converge", align: R },
    ],
    rows,
  );
  return `${table}\n   converge / Yjs per key: ${fmtRatio(m.convergeOverYjs)} written, ${fmtRatio(m.mergedConvergeOverYjs)} after a merge; converge / plain JS per key: ${fmtRatio(m.convergeOverPlain)} written, ${fmtRatio(m.mergedConvergeOverPlain)} after a merge`;
}

/** Workload 4. */
export function renderCounters(c: CountersResult): string {
  const base = c.results.find((r) => r.impl === "converge")?.medianMs ?? null;
  const table = renderTable(
    `4. Counters: ${c.replicas} replicas × ${fmtCount(c.keys)} keys (pncounter, every replica increments every key); merge all into one fresh replica; implementations interleaved run by run`,
    [
      { header: "implementation" },
      { header: "median", align: R },
      { header: "payload (all)", align: R },
      { header: "time / converge", align: R },
      { header: "reps", align: R },
      { header: "note" },
    ],
    c.results.map((r) => [
      r.impl,
      fmtMs(r.medianMs),
      r.payloadBytes === null ? "" : fmtBytes(r.payloadBytes),
      fmtRatio(ratio(r.medianMs, base)),
      `${r.samplesMs.length}`,
      r.note,
    ]),
  );
  return `${table}\n   converge / plain JS (JSON): ${fmtRatio(c.convergeOverPlainJson)}; converge / plain JS (in-memory): ${fmtRatio(c.convergeOverPlainMemory)}; Yjs: not measured (no counter type)`;
}

/** Workload 5. */
export function renderHlc(results: readonly HlcResult[]): string {
  return renderTable(
    "5. HLC operations",
    [
      { header: "operation" },
      { header: "iterations", align: R },
      { header: "median", align: R },
      { header: "ops/sec", align: R },
      { header: "ns/op", align: R },
    ],
    results.map((r) => [
      r.op,
      fmtInt(r.iterations),
      fmtMs(r.medianMs),
      fmtOps(r.opsPerSec),
      r.nsPerOp.toFixed(1),
    ]),
  );
}

/** The targets summary. */
export function renderTargets(checks: readonly TargetCheck[]): string {
  return renderTable(
    "Targets",
    [{ header: "target" }, { header: "measured", align: R }, { header: "status" }],
    checks.map((c) => [c.target, c.measured, c.met === null ? "n/a" : c.met ? "met" : "MISSED"]),
  );
}
