/** `verifyScript`: checks a resolver script's laws in the sandbox replicas use, law by law. */
import { isConvergeError } from "@converge/hlc";
import { type JsonValue, type ScriptResult, scriptId } from "@converge/script";
import fc from "fast-check";
import { DEFAULT_ENGINE, openEngine } from "./engine.ts";
import { mapLawChecks } from "./map-law-checks.ts";
import { replayToken } from "./replay.ts";
import { genericJson, schemaArbitrary } from "./schema.ts";
import { type Check, type LawCheck, scriptLawChecks } from "./script-law-checks.ts";
import { checkSyntax } from "./syntax.ts";
import { clean } from "./text.ts";
import {
  isSandboxCode,
  type LawVerdict,
  type SandboxRefusal,
  type Verdict,
  type VerifyOptions,
  type VerifyReport,
} from "./verify-report.ts";
import { cap, SandboxStop, show } from "./verify-text.ts";

/**
 * Verifies a resolver script's laws: termination within the sandbox's limits with a JSON result;
 * determinism across fresh sandboxes; for `merge`, commutativity, associativity, idempotence and
 * the fold law (3–8 values folded in one instance give the same result in every order); for
 * `resolve`, insensitivity to the order of 2–8 values; the batched law (replicas with different
 * delivery histories read through the map's batched path what the script resolves); and
 * convergence of maps using it in the network simulator.
 *
 * A sandbox refusal (time, memory or output limit, a contained crash) stops the run at once: the
 * verdict is `sandbox` and the remaining laws are skipped.
 *
 * @throws ScriptSyntaxError (`VERIFY_SYNTAX`, with file and line) when the script does not compile,
 *   ScriptError (`SCRIPT_LOAD`, `SCRIPT_UNAVAILABLE`) when it cannot be loaded, and SchemaError
 *   (`VERIFY_SCHEMA`) for a malformed `values` declaration.
 */
export async function verifyScript(
  name: string,
  source: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const runs = options.runs ?? 100;
  const seed = options.replay?.seed ?? options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const progress = options.progress ?? (() => {});
  const engineName = options.engine ?? DEFAULT_ENGINE;
  checkSyntax(name, source);
  const engine = openEngine(engineName, options.limits);
  const other = openEngine(engineName, options.limits);
  try {
    const handle = engine.load(source);
    const twin = other.load(source);
    const id = scriptId(handle.hash, handle.engineTag);
    const values = handle.shape.values === null ? genericJson : schemaArbitrary(handle.shape.values);
    const kind = handle.shape.resolve ? "resolve" : "merge";
    const laws: LawVerdict[] = [];
    const warnings: string[] = [];
    const distinct = new Set(fc.sample(values, { seed, numRuns: 200 }).map((v) => JSON.stringify(v)));
    if (distinct.size < 2) {
      warnings.push(
        "the values schema allows a single value, so the laws hold trivially; a map passes the script whatever users write",
      );
    }
    let refusal: SandboxRefusal | undefined;
    let current = "";

    const refuse = (code: string, message: string, list?: readonly JsonValue[]): void => {
      refusal ??= {
        code,
        message: cap(clean(message)),
        law: current,
        ...(list === undefined ? {} : { values: list }),
      };
    };
    const unwrap = (r: ScriptResult | undefined, list: readonly JsonValue[]): JsonValue => {
      if (r === undefined) throw new Error("the sandbox returned no result");
      if (r.ok) return r.value;
      if (isSandboxCode(r.error.code)) {
        refuse(r.error.code, r.error.message, list);
        throw new SandboxStop(`${r.error.code}: ${clean(r.error.message)}`);
      }
      throw new Error(`${r.error.code}: ${clean(r.error.message)}`);
    };
    /** Runs `k` on one list; a failure becomes a thrown error that fast-check shrinks. */
    const call = (
      h: Pick<typeof handle, "run">,
      k: "resolve" | "merge",
      list: readonly JsonValue[],
    ): JsonValue => unwrap(h.run(k, [list])[0], list);
    const merge = (a: JsonValue, b: JsonValue): JsonValue => call(handle, "merge", [a, b]);
    const read = (list: readonly JsonValue[]): JsonValue =>
      list.length === 1 ? (list[0] as JsonValue) : call(handle, kind, list);

    const verdict = (
      law: string,
      statement: string,
      ms: number,
      fuel: number | undefined,
      outcome: { ok: boolean; runs: number; seed: number; path?: string; counterexample?: string },
    ): LawVerdict => {
      const base = { law, statement, runs: outcome.runs, seed: outcome.seed, ms };
      const withFuel = fuel === undefined ? base : { ...base, fuel };
      if (refusal !== undefined) {
        return {
          ...withFuel,
          ok: false,
          sandbox: refusal,
          counterexample: `${refusal.code}: ${refusal.message}${refusal.values === undefined ? "" : `\nvalues ${show(refusal.values)}`}`,
        };
      }
      if (outcome.ok) return { ...withFuel, ok: true };
      const path = outcome.path ?? "";
      return {
        ...withFuel,
        ok: false,
        path,
        replay: replayToken(law, outcome.seed, path),
        counterexample: cap(clean(outcome.counterexample ?? "")),
      };
    };

    const replayPath = options.replay === undefined ? {} : { path: options.replay.path };
    const property =
      <T extends [unknown, ...unknown[]]>(p: fc.IProperty<T>): Check =>
      async () => {
        const details = fc.check(p, { seed, numRuns: runs, ...replayPath });
        if (!details.failed) return { ok: true, runs: details.numRuns, seed };
        const err = details.errorInstance;
        return {
          ok: false,
          runs: details.numRuns,
          seed: details.seed,
          path: details.counterexamplePath ?? "",
          counterexample: `${show(details.counterexample)}\n${err instanceof Error ? err.message : String(err)}`,
        };
      };
    /** A property that stops at once after a sandbox refusal (no shrinking of a memory bomb). */
    const guarded =
      <A extends unknown[]>(body: (...args: A) => void) =>
      (...args: A): void => {
        if (refusal !== undefined) return;
        body(...args);
      };

    const onFailure = (f: {
      values: readonly JsonValue[];
      error: { code: string; message: string };
    }): void => {
      // A read deferred by a spent apply budget is read again later: not a refusal.
      if (f.error.code !== "SCRIPT_APPLY_BUDGET" && isSandboxCode(f.error.code))
        refuse(f.error.code, f.error.message, f.values);
    };
    const checks: LawCheck[] = [
      ...scriptLawChecks({ handle, twin, kind, values, call, merge, read, unwrap, property, guarded }),
      ...mapLawChecks({
        engine,
        source,
        values,
        onFailure,
        read,
        seed,
        mapRuns: Math.max(10, Math.round(runs / 2)),
        replayPath,
      }),
    ];
    const selected =
      options.replay === undefined ? checks : checks.filter(([l]) => l === options.replay?.law);
    if (selected.length === 0) {
      throw new RangeError(
        `--replay names the law ${options.replay?.law}, which this script does not have (it has ${checks.map(([l]) => l).join(", ")})`,
      );
    }
    const skipped: string[] = [];
    for (const [law, statement, check] of selected) {
      if (refusal !== undefined) {
        skipped.push(law);
        continue;
      }
      current = law;
      options.onLaw?.(law);
      progress(`checking ${law} …`);
      const t = performance.now();
      const fuelBefore = engine.fuelUsed();
      let outcome: Awaited<ReturnType<Check>>;
      try {
        outcome = await check();
      } catch (e) {
        // A check that throws outside a property (a map refusing a value): a failure of that law.
        if (!isConvergeError(e) && !(e instanceof Error)) throw e;
        outcome = { ok: false, runs: 0, seed, counterexample: e.message };
      }
      const fuelAfter = engine.fuelUsed();
      // The map laws run in sandboxes of their own, whose fuel the maps do not report.
      const direct = law !== "batched" && law !== "converges";
      const fuel =
        !direct || fuelBefore === undefined || fuelAfter === undefined ? undefined : fuelAfter - fuelBefore;
      laws.push(verdict(law, statement, performance.now() - t, fuel, outcome));
    }
    const fuel = engine.fuelUsed();
    const result: Verdict = refusal !== undefined ? "sandbox" : laws.every((l) => l.ok) ? "pass" : "fail";
    return {
      script: name,
      id,
      seed,
      engine: fuel === undefined ? { name: engineName } : { name: engineName, fuel },
      verdict: result,
      ok: result === "pass",
      laws,
      skipped,
      ...(refusal === undefined ? {} : { sandbox: refusal }),
      warnings,
    };
  } finally {
    engine.dispose();
    other.dispose();
  }
}
