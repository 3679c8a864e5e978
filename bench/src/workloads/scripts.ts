import { createReplicatedMap } from "@converge/core";
import {
  createScriptEngine,
  type JsonValue,
  type ScriptEngine,
  type ScriptEngineName,
  scriptResolver,
} from "@converge/script";
import type { BenchConfig } from "../config.ts";
import { keep, median } from "../measure.ts";
import { nodeId } from "../replicas.ts";
import { fmtRatio, renderTable } from "../report.ts";

/** The `max`-like script resolved in every mode. */
const SOURCE = "function merge(a, b) { return Math.max(a, b); }";
const native = (a: number, b: number): number => Math.max(a, b);
const WHOLE_BATCH = { applyFuel: 1e12, applyTimeoutMs: 600_000 } as const;

/** ns per merge of one way of resolving conflicting keys. */
export interface ScriptModeResult {
  readonly mode: string;
  readonly keys: number;
  readonly medianMs: number;
  readonly nsPerMerge: number;
}

/** The ratios of one engine against the native function. */
export interface EngineRatios {
  readonly engine: string;
  readonly batchedVsNative: number;
  readonly perCallVsBatched: number;
}

/** Resolving `keys` conflicting keys (two concurrent numbers each) with a max-like script. */
export interface ScriptsResult {
  readonly keys: number;
  readonly modes: readonly ScriptModeResult[];
  readonly ratios: readonly EngineRatios[];
}

/**
 * Unrecorded runs first, for every mode alike: the sandbox's isolate compiles its batch loop only
 * after a few calls, as the host does, and a long-lived engine runs compiled code.
 */
const WARMUP = 5;

function time(reps: number, run: () => unknown): number {
  for (let r = 0; r < WARMUP; r++) keep(run());
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    keep(run());
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/**
 * Measures the sandbox boundary: the same function run natively, in the sandbox with one call per
 * merge, and batched (one call for many keys), plus a map apply whose conflicts are read in a
 * batch through the resolver's prepare hook.
 */
export function runScripts(config: BenchConfig, log: (msg: string) => void): ScriptsResult {
  const keys = config.quick ? 10_000 : 100_000;
  // The sandbox timings are short and noisy: more repetitions than elsewhere.
  const reps = config.quick ? 3 : 11;
  const lists: [number, number][] = [];
  for (let i = 0; i < keys; i++) lists.push([i % 1000, (i * 7919) % 1000]);
  const ns = (ms: number, n: number): number => (ms * 1e6) / n;

  log(`scripts: native (${keys} merges)`);
  const nativeMs = time(reps * 3, () => {
    let s = 0;
    for (const [a, b] of lists) s += native(a, b);
    return s;
  });
  const modes: ScriptModeResult[] = [
    { mode: "native function", keys, medianMs: nativeMs, nsPerMerge: ns(nativeMs, keys) },
  ];
  const ratios: EngineRatios[] = [];

  const engines: [string, ScriptEngineName, () => ScriptEngine][] = [
    // Budgets per apply large enough for the whole batch: every merge is measured, none deferred.
    ["QuickJS", "quickjs", () => createScriptEngine({ engine: "quickjs", ...WHOLE_BATCH })],
    [
      "isolated-vm, supervised",
      "isolated-vm",
      () => createScriptEngine({ engine: "isolated-vm", ...WHOLE_BATCH }),
    ],
  ];
  for (const [label, name, create] of engines) {
    const engine = create();
    const handle = engine.load(SOURCE);
    // Far slower per call: fewer merges, so the run stays short.
    const perCallKeys = Math.min(keys, config.quick ? 500 : 2_000);
    log(`scripts: ${label}, one call per merge (${perCallKeys} merges)`);
    const perCallMs = time(reps, () => {
      let s = 0;
      for (let i = 0; i < perCallKeys; i++) {
        const [r] = handle.run("merge", [lists[i] as JsonValue[]]);
        if (r?.ok === true) s += r.value as number;
      }
      return s;
    });
    log(`scripts: ${label}, batched (${keys} merges)`);
    const batchedMs = time(reps, () => handle.run("merge", lists));
    const failed = handle.run("merge", lists).filter((r) => !r.ok).length;
    if (failed > 0) throw new Error(`${label}: ${failed} merges failed in the batch`);
    modes.push(
      {
        mode: `${label}, one call per merge`,
        keys: perCallKeys,
        medianMs: perCallMs,
        nsPerMerge: ns(perCallMs, perCallKeys),
      },
      { mode: `${label}, batched`, keys, medianMs: batchedMs, nsPerMerge: ns(batchedMs, keys) },
    );
    ratios.push({
      engine: label,
      batchedVsNative: ns(batchedMs, keys) / ns(nativeMs, keys),
      perCallVsBatched: ns(perCallMs, perCallKeys) / ns(batchedMs, keys),
    });
    if (name === "quickjs") modes.push(mapApply(engine, lists, keys, reps, log, label));
    engine.dispose();
  }
  return { keys, modes, ratios };
}

/** A map apply whose conflicts are read in a batch through the resolver's prepare hook, then every read. */
function mapApply(
  engine: ScriptEngine,
  lists: readonly [number, number][],
  keys: number,
  reps: number,
  log: (msg: string) => void,
  label: string,
): ScriptModeResult {
  log(`scripts: ${label}, map apply of ${keys} conflicting keys, read in a batch`);
  const resolver = scriptResolver({ source: SOURCE, engine });
  const make = (i: number) =>
    createReplicatedMap({
      resolvers: { default: resolver },
      clockOptions: { node: nodeId(i), now: () => 1_764_000_000_000 },
    });
  const a = make(1);
  const b = make(2);
  for (let i = 0; i < keys; i++) {
    a.set(`k${i}`, (lists[i] as [number, number])[0]);
    b.set(`k${i}`, (lists[i] as [number, number])[1]);
  }
  const aBytes = a.encodeState();
  const bBytes = b.encodeState();
  // Timed: applying B onto a replica holding A, then reading every key (setup untimed).
  const samples: number[] = [];
  const runs = Math.max(1, Math.ceil(reps / 3));
  for (let r = 0; r < 1 + runs; r++) {
    const m = make(3);
    m.applyState(aBytes);
    const t = performance.now();
    m.applyState(bBytes);
    let s = 0;
    for (let i = 0; i < keys; i++) s += m.get<number>(`k${i}`) ?? 0;
    if (r >= 1) samples.push(performance.now() - t);
    keep(s);
  }
  const ms = median(samples);
  return {
    mode: `${label}, map apply + read every key (batched via prepare)`,
    keys,
    medianMs: ms,
    nsPerMerge: (ms * 1e6) / keys,
  };
}

/** The scripts table. */
export function renderScripts(r: ScriptsResult): string {
  const rows = r.modes.map((m) => [
    m.mode,
    String(m.keys),
    `${m.medianMs.toFixed(1)} ms`,
    `${m.nsPerMerge.toFixed(0)} ns`,
  ]);
  return `${renderTable(
    `6. Resolver scripts: ${r.keys} conflicting keys resolved by a max-like script (QuickJS and supervised isolated-vm); median after ${WARMUP} unrecorded warm-up runs per mode`,
    [
      { header: "mode" },
      { header: "merges", align: "right" },
      { header: "median", align: "right" },
      { header: "per merge", align: "right" },
    ],
    rows,
  )}${r.ratios
    .map(
      (x) =>
        `\n   ${x.engine}: batched / native ${fmtRatio(x.batchedVsNative)}; one call per merge / batched ${fmtRatio(x.perCallVsBatched)}`,
    )
    .join("")}`;
}
