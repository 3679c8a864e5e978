import * as Automerge from "@automerge/automerge";
import { type BenchConfig, FULL_STATE_WARMUP } from "../config.ts";
import { type ImplResult, skippedResult, timedResult } from "../impl-result.ts";
import { collectGarbage, measure, type Timing, timed } from "../measure.ts";
import { fmtCount } from "../report.ts";

type Doc = Automerge.Doc<Record<string, number>>;

const ACTOR_A = "0a".repeat(16);
const ACTOR_B = "0b".repeat(16);
const PILOT_KEYS = 10_000;

interface AutomergeRun {
  readonly buildMs: number;
  readonly loadMs: number;
  readonly timing: Timing;
  readonly payloadBytes: number;
}

function build(actor: string, keys: readonly string[], mix: number): Doc {
  return Automerge.change(Automerge.init<Record<string, number>>({ actor }), (d) => {
    for (let i = 0; i < keys.length; i++) d[keys[i] as string] = (i * mix) & 1023;
  });
}

/** Builds A and B, saves both, then times loading B's saved bytes into a fresh load of A. */
function run(keys: readonly string[], reps: number): AutomergeRun {
  const built = timed(() => {
    const a = build(ACTOR_A, keys, 1);
    const b = build(ACTOR_B, keys, 7);
    return { a, b };
  });
  const savedA = Automerge.save(built.result.a);
  const savedB = Automerge.save(built.result.b);
  Automerge.free(built.result.a);
  Automerge.free(built.result.b);
  const load = timed(() => Automerge.load<Record<string, number>>(savedA));
  Automerge.free(load.result);
  const merged: Doc[] = [];
  const timing = measure(
    { reps, warmup: FULL_STATE_WARMUP },
    () => Automerge.load<Record<string, number>>(savedA),
    (fresh) => {
      const doc = Automerge.loadIncremental(fresh, savedB);
      merged.push(doc);
      return doc;
    },
  );
  const last = merged[merged.length - 1];
  if (last !== undefined && Object.keys(last).length !== keys.length) {
    throw new Error(`automerge: merged doc has ${Object.keys(last).length} keys, expected ${keys.length}`);
  }
  for (const doc of merged) Automerge.free(doc);
  collectGarbage();
  return { buildMs: built.ms, loadMs: load.ms, timing, payloadBytes: savedB.length };
}

/**
 * Automerge's full-state merge (`loadIncremental` of B's saved document into A: decode + merge).
 * Above a pilot size, a run at {@link PILOT_KEYS} keys is extrapolated linearly; when the estimate
 * (building both documents plus every repetition) exceeds the budget, the size is skipped.
 */
export function automergeFullState(config: BenchConfig, keys: readonly string[], reps: number): ImplResult {
  const n = keys.length;
  if (n > config.automergeMaxKeys) {
    return skippedResult("Automerge", `skipped (above BENCH_AUTOMERGE_MAX_KEYS=${config.automergeMaxKeys})`);
  }
  if (n > PILOT_KEYS) {
    const pilot = run(keys.slice(0, PILOT_KEYS), 1);
    const runs = reps + FULL_STATE_WARMUP;
    const perKey = (pilot.buildMs + runs * (pilot.loadMs + pilot.timing.medianMs)) / PILOT_KEYS;
    const estimate = perKey * n;
    if (estimate > config.automergeBudgetMs) {
      return skippedResult(
        "Automerge",
        `skipped (too slow: ~${Math.round(estimate / 1000)} s estimated from ${fmtCount(PILOT_KEYS)} keys > ${config.automergeBudgetMs / 1000} s budget)`,
      );
    }
  }
  const r = run(keys, reps);
  return timedResult("Automerge", r.timing, r.payloadBytes, `build ${Math.round(r.buildMs)} ms`);
}
