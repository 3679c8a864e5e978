import { clusterTargets } from "./cluster/cluster-targets.ts";
import type { ClusterResult } from "./cluster/run-cluster.ts";
import { fmtCount } from "./report.ts";
import type { SyncResult } from "./sync/run-sync.ts";
import { syncTargets } from "./sync/sync-targets.ts";
import type { CountersResult } from "./workloads/counters.ts";
import type { DeltaResult } from "./workloads/delta.ts";
import { type FullStateResult, WITH_CHANGES_SUBSCRIBER, WITH_SUBSCRIBER } from "./workloads/full-state.ts";
import type { MemoryResult } from "./workloads/memory.ts";
import type { OpPathResult } from "./workloads/op-path.ts";
import type { RoundResult, RoundSample } from "./workloads/round.ts";
import type { ScriptsResult } from "./workloads/scripts.ts";
import type { TextResult } from "./workloads/text.ts";

/** One performance target and whether this run met it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** null when the run did not measure it. */
  readonly met: boolean | null;
}

/** Everything the targets are checked against (each part absent when its workload did not run). */
export interface TargetInputs {
  readonly round: readonly RoundResult[];
  readonly opPath: OpPathResult | undefined;
  readonly fullState: readonly FullStateResult[];
  readonly delta: readonly DeltaResult[];
  readonly memory: MemoryResult | undefined;
  readonly counters?: CountersResult | undefined;
  readonly scripts?: ScriptsResult | undefined;
  readonly text?: TextResult | undefined;
  readonly sync?: SyncResult | undefined;
  readonly cluster?: ClusterResult | undefined;
}

const x = (v: number | null): string => (v === null ? "-" : `${v.toFixed(2)}×`);

/** a / b, or null when either is missing. */
function over(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0 || !Number.isFinite(a))
    return null;
  return a / b;
}

/** A check of `value` against `goal`; not measured (met: null) when value is null. */
function check(
  target: string,
  value: number | null,
  measured: string,
  ok: (v: number) => boolean,
): TargetCheck {
  return {
    target,
    measured: value === null ? "not measured" : measured,
    met: value === null ? null : ok(value),
  };
}

function roundTargets(r: RoundResult): TargetCheck[] {
  const warm = (impl: string): RoundSample | null =>
    r.results.find((i) => i.impl === impl && i.status === "ok")?.warm ?? null;
  const c = warm("converge");
  const y = warm("Yjs");
  const l = warm("Loro");
  const j = warm("plain JS (JSON)");
  const m = warm("plain JS (in-memory)");
  const at = `whole round ${fmtCount(r.keys)}`;
  const vsYjs = over(y?.roundMs, c?.roundMs);
  const vsJson = over(j?.roundMs, c?.roundMs);
  const vsLoro = over(l?.roundMs, c?.roundMs);
  const encode = over(c?.encodeMs, y?.encodeMs);
  const read = over(c?.readMs, m?.readMs);
  const applyLocal = over(y?.applyMs, c?.applyMs);
  const applyRedecoded = over(y?.applyRedecodedMs, c?.applyRedecodedMs);
  return [
    check(`${at}: converge ≥ 5× faster than Yjs`, vsYjs, `speedup ${x(vsYjs)}`, (v) => v >= 5),
    check(`${at}: converge faster than the plain-JS JSON loop`, vsJson, `speedup ${x(vsJson)}`, (v) => v > 1),
    check(`${at}: converge faster than Loro`, vsLoro, `speedup ${x(vsLoro)}`, (v) => v > 1),
    check(`${at}: converge encode ≤ ½ Yjs's encode`, encode, `${x(encode)} Yjs's time`, (v) => v <= 0.5),
    check(
      `${at}: read all keys after the merge ≤ 1.5× the in-memory Map's reads`,
      read,
      `${x(read)} the Map's reads`,
      (v) => v <= 1.5,
    ),
    check(
      `${at}: decode + merge into a replica built by its own writes ≥ 10× Yjs`,
      applyLocal,
      `speedup ${x(applyLocal)}`,
      (v) => v >= 10,
    ),
    check(
      `${at}: decode + merge into a re-decoded replica ≥ 10× Yjs`,
      applyRedecoded,
      `speedup ${x(applyRedecoded)}`,
      (v) => v >= 10,
    ),
  ];
}

function opPathTargets(o: OpPathResult): TargetCheck[] {
  const find = (impl: string) => o.results.find((r) => r.impl === impl && r.status === "ok");
  const c = find("converge");
  const y = find("Yjs");
  const ops = c?.opsPerSec ?? null;
  const vsYjs = over(c?.opsPerSec, y?.opsPerSec);
  const bytes = c?.bytesPerOp ?? null;
  const at = `op path ${fmtCount(o.ops)} writes`;
  return [
    check(
      `${at}: converge ≥ 200k ops/s`,
      ops,
      `${Math.round((ops ?? 0) / 1000)}k ops/s`,
      (v) => v >= 200_000,
    ),
    check(`${at}: converge ≥ 4× Yjs's ops/s`, vsYjs, `${x(vsYjs)} Yjs`, (v) => v >= 4),
    check(`${at}: converge ≤ 40 bytes per op`, bytes, `${bytes?.toFixed(1)} B/op`, (v) => v <= 40),
  ];
}

/** Issue 11: batched ns per merge against the native function, and one call per merge against batched. */
function scriptTargets(r: ScriptsResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const [engine, limit] of [
    ["QuickJS", 30],
    ["isolated-vm, supervised", 15],
  ] as const) {
    const e = r.ratios.find((q) => q.engine === engine);
    const batched = e?.batchedVsNative ?? null;
    const perCall = e?.perCallVsBatched ?? null;
    out.push(
      check(
        `scripts, ${engine}: batched ≤ ${limit}× the native function`,
        batched,
        `${x(batched)}`,
        (v) => v <= limit,
      ),
      check(
        `scripts, ${engine}: one call per merge ≥ 20× slower than batched`,
        perCall,
        `${x(perCall)}`,
        (v) => v >= 20,
      ),
    );
  }
  return out;
}

/** Issue 16: text keys' full-state merge, and merge + reading every key, no slower than Yjs's own. */
function textTargets(r: TextResult): TargetCheck[] {
  const c = r.impls.find((i) => i.impl === "converge");
  const y = r.impls.find((i) => i.impl === "Yjs");
  const at = `text ${fmtCount(r.keys)} × ${r.textBytes} B`;
  const merge = over(c?.mergeMs, y?.mergeMs);
  const read = over(c?.mergeReadMs, y?.mergeReadMs);
  const same = (c?.converged ?? false) && r.sameTexts;
  return [
    check(`${at}: converge's merge ≤ Yjs's`, merge, `${x(merge)} Yjs's time`, (v) => v <= 1 && same),
    check(`${at}: converge's merge + read all ≤ Yjs's`, read, `${x(read)} Yjs's time`, (v) => v <= 1 && same),
  ];
}

/** Checks the project's performance targets against this run's numbers (ratios within the run). */
export function checkTargets(inputs: TargetInputs): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const r of inputs.round) out.push(...roundTargets(r));
  if (inputs.opPath !== undefined) out.push(...opPathTargets(inputs.opPath));
  for (const f of inputs.fullState) {
    out.push({
      target: `full-state ${fmtCount(f.keys)} keys: converge ≥ 10× faster than Yjs`,
      measured: `${x(f.yjsOverConverge)} faster`,
      met: f.yjsOverConverge === null ? null : f.yjsOverConverge >= 10,
    });
    out.push({
      target: `full-state ${fmtCount(f.keys)} keys: converge ≤ 2× plain JS (JSON)`,
      measured: `${x(f.convergeOverPlainJson)} plain JS`,
      met: f.convergeOverPlainJson === null ? null : f.convergeOverPlainJson <= 2,
    });
    const subscribed = f.results.some((r) => r.impl === WITH_SUBSCRIBER && r.status === "ok");
    out.push(
      check(
        `full-state ${fmtCount(f.keys)} keys: merge with a subscriber reading every changed key ≤ 1.25× without`,
        subscribed ? f.subscriberSlowdown : null,
        `${x(f.subscriberSlowdown)}`,
        (v) => v <= 1.25,
      ),
    );
    const objects = f.results.some((r) => r.impl === WITH_CHANGES_SUBSCRIBER && r.status === "ok");
    out.push(
      check(
        `full-state ${fmtCount(f.keys)} keys: merge with a subscriber reading every change object ≤ 1.25× without`,
        objects ? (f.changesSubscriberSlowdown ?? null) : null,
        `${x(f.changesSubscriberSlowdown ?? null)}`,
        (v) => v <= 1.25,
      ),
    );
  }
  for (const d of inputs.delta) {
    const find = (impl: string) => d.results.find((r) => r.impl === impl);
    const c = find("converge");
    const y = find("Yjs");
    const l = find("Loro");
    if (c === undefined) continue;
    const at = `delta ${fmtCount(d.keys)} keys, ${d.changed} changed`;
    if (y !== undefined) {
      out.push({
        target: `${at}: converge size ≤ Yjs size`,
        measured: `${c.deltaBytes} B vs ${y.deltaBytes} B`,
        met: c.deltaBytes <= y.deltaBytes,
      });
    }
    if (l !== undefined) {
      out.push({
        target: `${at}: converge faster than Loro`,
        measured:
          `${c.medianMs.toFixed(2)} ms vs ${l.medianMs.toFixed(2)} ms` +
          (c.afterGcMedianMs === undefined || l.afterGcMedianMs === undefined
            ? ""
            : ` (right after a forced GC: ${c.afterGcMedianMs.toFixed(2)} vs ${l.afterGcMedianMs.toFixed(2)} ms)`),
        met: c.medianMs < l.medianMs,
      });
      out.push({
        target: `${at}: converge smaller than Loro`,
        measured: `${c.deltaBytes} B vs ${l.deltaBytes} B`,
        met: c.deltaBytes < l.deltaBytes,
      });
    }
  }
  const memory = inputs.memory;
  if (memory !== undefined) {
    out.push({
      target: `memory ${fmtCount(memory.keys)} keys: converge ≤ 1/3 of Yjs per key (heap + array buffers)`,
      measured: `${x(memory.convergeOverYjs)} Yjs`,
      met: memory.convergeOverYjs === null || !memory.gcExposed ? null : memory.convergeOverYjs <= 1 / 3,
    });
  }
  const counters = inputs.counters;
  if (counters !== undefined) {
    const v = counters.convergeOverPlainJson;
    out.push(
      check(
        `counters ${counters.replicas} replicas × ${fmtCount(counters.keys)} keys: converge ≤ 1× the plain-JS JSON loop`,
        v,
        `${x(v)} its time`,
        (r) => r <= 1,
      ),
    );
  }
  if (inputs.scripts !== undefined) out.push(...scriptTargets(inputs.scripts));
  if (inputs.text !== undefined) out.push(...textTargets(inputs.text));
  if (inputs.sync !== undefined) out.push(...syncTargets(inputs.sync));
  if (inputs.cluster !== undefined) out.push(...clusterTargets(inputs.cluster));
  return out;
}
