import { type Concurrent, createReplicatedMap, type Resolver, registerResolver } from "@converge/core";
import {
  createScriptEngine,
  type JsonValue,
  type ScriptEngine,
  type ScriptEngineName,
  type ScriptHandle,
  type ScriptResult,
  scriptResolver,
} from "@converge/script";
import type { BenchConfig } from "../config.ts";
import { collectGarbage, keep, median } from "../measure.ts";
import { nodeId } from "../replicas.ts";
import { fmtRatio, renderTable } from "../report.ts";

/** The `max`-like script resolved in every mode. */
const SOURCE = "function merge(a, b) { return Math.max(a, b); }";
const native = (a: number, b: number): number => Math.max(a, b);

/**
 * The native function behind the engines' entry point (`ScriptHandle.run("merge", lists)`): each
 * list folded left to right with the same merge, one result object per list, as the engines
 * return them.
 */
function nativeRun(lists: readonly (readonly JsonValue[])[]): ScriptResult[] {
  const out: ScriptResult[] = new Array(lists.length);
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i] as readonly JsonValue[];
    let r = list[0] as number;
    for (let k = 1; k < list.length; k++) r = native(r, list[k] as number);
    out[i] = { ok: true, value: r };
  }
  return out;
}

/** The native function as a map's resolver: the same batched entry point (`resolveMany`) the script resolver uses. */
function nativeResolver(): Resolver<JsonValue, JsonValue> {
  const fold = (list: readonly Concurrent<JsonValue>[]): number => {
    let r = (list[0] as Concurrent<JsonValue>).value as number;
    for (let k = 1; k < list.length; k++) r = native(r, (list[k] as Concurrent<JsonValue>).value as number);
    return r;
  };
  return registerResolver<JsonValue, JsonValue>({
    id: "bench-native-max",
    version: 1,
    resolve: (list) => (list.length === 1 ? (list[0] as Concurrent<JsonValue>).value : fold(list)),
    resolveMany: (lists) => lists.map(fold),
  });
}
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
    // Every sample of every mode starts from a collected heap: the native batch takes a few
    // milliseconds, and one young-generation collection landing in it or not would double it.
    collectGarbage();
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
  const nativeMs = time(reps * 3, () => nativeRun(lists));
  const modes: ScriptModeResult[] = [
    { mode: "native function, batched", keys, medianMs: nativeMs, nsPerMerge: ns(nativeMs, keys) },
    mapApply(nativeResolver(), lists, keys, reps, log, "native function"),
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
    if (name === "quickjs") {
      modes.push(mapApply(scriptResolver({ source: SOURCE, engine }), lists, keys, reps, log, label));
      modes.push(...quickJSFloor(keys, reps, log));
    }
    engine.dispose();
  }
  return { keys, modes, ratios };
}

/**
 * QuickJS's own floor for the same merges: one `resolve` that builds the same pairs in a
 * Float64Array (as the batch path holds them) and folds them in a loop inside the interpreter —
 * once calling one `merge`, once building a fresh `merge` closure for every pair (the least a
 * fresh instance of the script per key costs). The same call building the pairs and returning
 * is subtracted.
 */
function quickJSFloor(keys: number, reps: number, log: (msg: string) => void): ScriptModeResult[] {
  const engine = createScriptEngine({ engine: "quickjs", fuel: 1e6, ...WHOLE_BATCH });
  const build =
    "const n = values[0]; const v = new Float64Array(2 * n); for (let i = 0; i < n; i++) { v[2 * i] = i % 1000; v[2 * i + 1] = (i * 7919) % 1000; }";
  const loop = (body: string): string =>
    `function merge(a, b) { return Math.max(a, b); }\nfunction fresh() { function merge(a, b) { return Math.max(a, b); } return merge; }\nfunction resolve(values) { ${build} let s = 0; for (let i = 0; i < 2 * n; i += 2) { ${body} } return s; }`;
  const cases: [string, string][] = [
    ["QuickJS floor: one loop calling merge (no sandbox bookkeeping)", "s += merge(v[i], v[i + 1]);"],
    ["QuickJS floor: one loop, a fresh merge closure per pair", "const m = fresh(); s += m(v[i], v[i + 1]);"],
  ];
  const timeOne = (h: ScriptHandle): number =>
    time(reps, () => {
      const [r] = h.run("resolve", [[keys]]);
      if (r?.ok !== true)
        throw new Error(`QuickJS floor failed: ${r?.ok === false ? r.error.message : "no row"}`);
      return r.value;
    });
  log(`scripts: QuickJS floor (${keys} merges in one resolution)`);
  const base = timeOne(engine.load(`function resolve(values) { ${build} return v.length; }`));
  const out = cases.map(([mode, body]): ScriptModeResult => {
    const ms = Math.max(0, timeOne(engine.load(loop(body))) - base);
    return { mode, keys, medianMs: ms, nsPerMerge: (ms * 1e6) / keys };
  });
  engine.dispose();
  return out;
}

/** A map apply whose conflicts are read in a batch through the resolver's prepare hook, then every read. */
function mapApply(
  resolver: Resolver<JsonValue, unknown>,
  lists: readonly [number, number][],
  keys: number,
  reps: number,
  log: (msg: string) => void,
  label: string,
): ScriptModeResult {
  log(`scripts: ${label}, map apply of ${keys} conflicting keys, read in a batch`);
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

/** What each row of the scripts table measures (printed under it). */
const NOTE = [
  "   Rows (every list is two concurrent numbers; every row checks that no merge failed):",
  "   - native function, batched: the merge as a JS function behind the engines' entry point — each list",
  "     folded left to right, one { ok, value } result per list, all lists in one call.",
  '   - <engine>, batched: handle.run("merge", lists) on a loaded script, all lists in one call (QuickJS:',
  "     in batches of batchSize inside one wasm context; isolated-vm: one round trip host → relay worker →",
  "     child process and back). Counts packing the lists, the sandbox, and unpacking the results.",
  '   - <engine>, one call per merge: handle.run("merge", [list]) once per list (fewer lists: it is slow).',
  "   - <x>, map apply + read every key: applyState of a replica whose every key conflicts, then get() of",
  "     every key; the conflicts are resolved in one batch through the resolver's resolveMany.",
  "   - QuickJS floor: one resolve() that builds the same pairs in a Float64Array and folds them in a loop",
  "     inside QuickJS (building them alone is subtracted): the interpreter's own cost, without the per-key",
  "     fresh instance and bookkeeping; then with a fresh merge closure per pair (the least a fresh",
  "     instance of the script per key costs).",
  "   Script load, compile and the first sandbox start are outside every timing (warm-up runs).",
].join("\n");

/** The scripts table. */
export function renderScripts(r: ScriptsResult): string {
  const rows = r.modes.map((m) => [
    m.mode,
    String(m.keys),
    `${m.medianMs.toFixed(1)} ms`,
    `${m.nsPerMerge.toFixed(0)} ns`,
  ]);
  return `${renderTable(
    `6. Resolver scripts: ${r.keys} conflicting keys resolved by a max-like script (QuickJS and supervised isolated-vm); median after ${WARMUP} unrecorded warm-up runs per mode, each run from a collected heap`,
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
    .join("")}\n${NOTE}`;
}
