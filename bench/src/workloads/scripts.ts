import { createReplicatedMap } from "@converge/core";
import { createScriptEngine, type JsonValue, scriptResolver } from "@converge/script";
import type { BenchConfig } from "../config.ts";
import { keep, median } from "../measure.ts";
import { nodeId } from "../replicas.ts";
import { fmtRatio, renderTable } from "../report.ts";

/** The `max`-like script resolved in every mode. */
const SOURCE = "function merge(a, b) { return Math.max(a, b); }";
const native = (a: number, b: number): number => Math.max(a, b);

/** ns per merge of one way of resolving conflicting keys. */
export interface ScriptModeResult {
  readonly mode: string;
  readonly keys: number;
  readonly medianMs: number;
  readonly nsPerMerge: number;
}

/** Resolving `keys` conflicting keys (two concurrent numbers each) with a max-like script. */
export interface ScriptsResult {
  readonly keys: number;
  readonly modes: readonly ScriptModeResult[];
  readonly batchedVsNative: number;
  readonly perCallVsBatched: number;
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
  const perCallKeys = Math.min(keys, config.quick ? 2_000 : 10_000);
  // The sandbox timings are short and noisy: more repetitions than elsewhere.
  const reps = config.quick ? 3 : 11;
  const engine = createScriptEngine();
  const handle = engine.load(SOURCE);
  const lists: [number, number][] = [];
  for (let i = 0; i < keys; i++) lists.push([i % 1000, (i * 7919) % 1000]);

  log(`scripts: native (${keys} merges)`);
  const nativeMs = time(reps * 3, () => {
    let s = 0;
    for (const [a, b] of lists) s += native(a, b);
    return s;
  });
  log(`scripts: one call per merge (${perCallKeys} merges)`);
  const perCallMs = time(reps, () => {
    let s = 0;
    for (let i = 0; i < perCallKeys; i++) {
      const [r] = handle.run("merge", [lists[i] as JsonValue[]]);
      if (r?.ok === true) s += r.value as number;
    }
    return s;
  });
  log(`scripts: batched (${keys} merges)`);
  const batchedMs = time(reps * 3, () => handle.run("merge", lists));

  log(`scripts: map apply of ${keys} conflicting keys, read in a batch`);
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
  const applySamples: number[] = [];
  for (let r = 0; r < WARMUP + reps; r++) {
    const m = make(3);
    m.applyState(aBytes);
    const t = performance.now();
    m.applyState(bBytes);
    let s = 0;
    for (let i = 0; i < keys; i++) s += m.get<number>(`k${i}`) ?? 0;
    if (r >= WARMUP) applySamples.push(performance.now() - t);
    keep(s);
  }
  const applyMs = median(applySamples);
  engine.dispose();

  const ns = (ms: number, n: number): number => (ms * 1e6) / n;
  const modes: ScriptModeResult[] = [
    { mode: "native function", keys, medianMs: nativeMs, nsPerMerge: ns(nativeMs, keys) },
    {
      mode: "sandbox, one call per merge",
      keys: perCallKeys,
      medianMs: perCallMs,
      nsPerMerge: ns(perCallMs, perCallKeys),
    },
    { mode: "sandbox, batched", keys, medianMs: batchedMs, nsPerMerge: ns(batchedMs, keys) },
    {
      mode: "map apply + read every key (batched via prepare)",
      keys,
      medianMs: applyMs,
      nsPerMerge: ns(applyMs, keys),
    },
  ];
  return {
    keys,
    modes,
    batchedVsNative: ns(batchedMs, keys) / ns(nativeMs, keys),
    perCallVsBatched: ns(perCallMs, perCallKeys) / ns(batchedMs, keys),
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
    `6. Resolver scripts: ${r.keys} conflicting keys resolved by a max-like script (isolated-vm); median after ${WARMUP} unrecorded warm-up runs per mode`,
    [
      { header: "mode" },
      { header: "merges", align: "right" },
      { header: "median", align: "right" },
      { header: "per merge", align: "right" },
    ],
    rows,
  )}\n   batched / native: ${fmtRatio(r.batchedVsNative)}; one call per merge / batched: ${fmtRatio(r.perCallVsBatched)}`;
}
