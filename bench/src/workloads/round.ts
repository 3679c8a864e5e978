import type { BenchConfig } from "../config.ts";
import { makeKeys } from "../keys.ts";
import { collectGarbage } from "../measure.ts";
import { fmtCount } from "../report.ts";
import { automerge, converge, loro, yjs } from "./round-crdts.ts";
import { plainJson, plainMemory } from "./round-plain.ts";
import { expectedSum, medianSample, type RoundImpl, type RoundSample } from "./round-timing.ts";

/**
 * The whole round a user pays: encode on the source replica, apply that payload into a target
 * replica that was built by its own local writes (decode + merge), then read every key. Each
 * implementation runs one round in turn (interleaved), round after round, in one process. The
 * first round is the cold one; the recorded rounds follow {@link ROUND_WARMUP} warm-up rounds.
 */

export type { RoundSample } from "./round-timing.ts";

/** Rounds run before the recorded ones (the first of them is the cold round). */
export const ROUND_WARMUP = 2;

/** One implementation's rounds. */
export interface RoundImplResult {
  readonly impl: string;
  readonly status: "ok" | "skipped";
  readonly note: string;
  /** The first round in the process at this size (at the first size: the first ever). */
  readonly cold: RoundSample | null;
  /** Medians over the recorded rounds. */
  readonly warm: RoundSample | null;
  readonly samples: readonly RoundSample[];
}

/** The whole round at one size. */
export interface RoundResult {
  readonly keys: number;
  readonly reps: number;
  readonly warmup: number;
  /** True when this size ran first in the process (its cold rounds are truly cold). */
  readonly firstInProcess: boolean;
  readonly results: readonly RoundImplResult[];
}

const PILOT_KEYS = 10_000;

/** Why Automerge is skipped at `n` keys, or undefined to run it (a pilot round is extrapolated). */
function automergeSkip(config: BenchConfig, n: number, rounds: number): string | undefined {
  if (n > config.automergeMaxKeys)
    return `skipped (above BENCH_AUTOMERGE_MAX_KEYS=${config.automergeMaxKeys})`;
  if (n <= PILOT_KEYS) return undefined;
  const pilotKeys = makeKeys(PILOT_KEYS);
  const start = performance.now();
  automerge.round(pilotKeys, expectedSum(PILOT_KEYS));
  const estimate = ((performance.now() - start) / PILOT_KEYS) * n * rounds;
  if (estimate <= config.automergeBudgetMs) return undefined;
  return `skipped (too slow: ~${Math.round(estimate / 1000)} s estimated for ${rounds} rounds from ${fmtCount(PILOT_KEYS)} keys > ${config.automergeBudgetMs / 1000} s budget)`;
}

/** The whole round at `n` keys, every implementation interleaved round by round. */
export function runRound(
  config: BenchConfig,
  n: number,
  firstInProcess: boolean,
  log: (msg: string) => void,
): RoundResult {
  const reps = n >= 1_000_000 ? Math.min(config.reps, config.repsLarge) : config.reps;
  const rounds = ROUND_WARMUP + reps;
  const keys = makeKeys(n);
  const expected = expectedSum(n);
  const impls: RoundImpl[] = [converge, yjs, loro, plainJson, plainMemory];
  const skipped = new Map<string, string>();
  log(`round ${n}: Automerge pilot`);
  const amSkip = automergeSkip(config, n, rounds);
  if (amSkip === undefined) impls.splice(3, 0, automerge);
  else skipped.set("Automerge", amSkip);
  collectGarbage();
  const samples = new Map<string, RoundSample[]>(impls.map((i) => [i.impl, []]));
  for (let r = 0; r < rounds; r++) {
    log(`round ${n}: round ${r + 1}/${rounds}`);
    for (const impl of impls) samples.get(impl.impl)?.push(impl.round(keys, expected));
  }
  const order = ["converge", "Yjs", "Loro", "Automerge", "plain JS (JSON)", "plain JS (in-memory)"];
  const results: RoundImplResult[] = order.map((name) => {
    const s = samples.get(name);
    if (s === undefined) {
      return {
        impl: name,
        status: "skipped",
        note: skipped.get(name) ?? "skipped",
        cold: null,
        warm: null,
        samples: [],
      };
    }
    const recorded = s.slice(ROUND_WARMUP);
    return {
      impl: name,
      status: "ok",
      note: name === "plain JS (in-memory)" ? "no encode: the source map is handed over" : "",
      cold: s[0] ?? null,
      warm: medianSample(recorded),
      samples: recorded,
    };
  });
  return { keys: n, reps, warmup: ROUND_WARMUP, firstInProcess, results };
}
