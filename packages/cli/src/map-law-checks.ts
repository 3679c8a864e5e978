/**
 * The laws `converge verify` checks through real maps: the batched read law, and convergence in
 * the network simulator, both with the script as a map's resolver.
 */
import { checkConvergence, checkLaws, registerSpec } from "@converge/core/testing";
import type { JsonValue, ScriptFailure } from "@converge/script";
import fc from "fast-check";
import type { VerifyEngine } from "./engine.ts";
import { genericJson } from "./schema.ts";
import type { LawCheck } from "./script-law-checks.ts";

/** What the map laws run on. */
export interface MapLawKit {
  readonly engine: VerifyEngine;
  readonly source: string;
  readonly values: fc.Arbitrary<JsonValue>;
  /** Sees every failure the maps' resolvers report (a sandbox refusal stops the run). */
  readonly onFailure: (failure: ScriptFailure) => void;
  /** What a map must read for these concurrent values (the specification). */
  readonly read: (list: readonly JsonValue[]) => JsonValue;
  readonly seed: number;
  /** Runs of each map law (they cost more than a script law's). */
  readonly mapRuns: number;
  /** `{ path }` of a `--replay` token, or nothing. */
  readonly replayPath: { readonly path?: string };
}

/** The checks of the batched and convergence laws, in that order. */
export function mapLawChecks(kit: MapLawKit): LawCheck[] {
  const { engine, source, values, onFailure, read, seed, mapRuns, replayPath } = kit;
  const checks: LawCheck[] = [];
  checks.push([
    "batched",
    "replicas that got the same 3–8 concurrent values in different orders and ways read, through the map's batched path, what the script resolves",
    async () => {
      const report = checkLaws({
        resolver: () => engine.freshResolver(source, onFailure),
        values: values as fc.Arbitrary<never>,
        // Other keys in the same batches hold any JSON: a map gives a script whatever users
        // wrote, whatever its schema says, and that must not change how this key reads.
        otherValues: fc.oneof(values, genericJson) as fc.Arbitrary<never>,
        laws: ["batched"],
        seed,
        numRuns: mapRuns,
        ...replayPath,
        log: () => {},
      });
      const r = report.results[0];
      return r === undefined ? { ok: true, runs: 0, seed } : r;
    },
  ]);
  checks.push([
    "converges",
    "replicas using the script converge and read what the script resolves",
    async () => {
      const resolver = engine.freshResolver(source, onFailure);
      const net = await checkConvergence({
        rules: { default: resolver },
        keys: ["a", "b"],
        values: values as fc.Arbitrary<never>,
        specs: { [resolver.id]: registerSpec((live) => read(live.map((o) => o.value as JsonValue))) },
        seed,
        numRuns: mapRuns,
        ...replayPath,
        log: () => {},
      });
      return net;
    },
  ]);
  return checks;
}
