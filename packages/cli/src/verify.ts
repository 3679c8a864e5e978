import { createHash } from "node:crypto";
import { checkConvergence, checkLaws, registerSpec } from "@converge/core/testing";
import { isConvergeError } from "@converge/hlc";
import { type JsonValue, type ScriptLimits, type ScriptResult, scriptId } from "@converge/script";
import fc from "fast-check";
import { DEFAULT_ENGINE, type EngineName, openEngine } from "./engine.ts";
import { type Replay, replayToken } from "./replay.ts";
import { genericJson, schemaArbitrary } from "./schema.ts";
import { checkSyntax } from "./syntax.ts";
import { clean } from "./text.ts";

/** The sandbox stopped the script (a limit, or a crash): the verdict of the whole run. */
export interface SandboxRefusal {
  /** The script error code, e.g. `SCRIPT_TIMEOUT`, `SCRIPT_OUT_OF_MEMORY`, `SCRIPT_CRASHED`. */
  readonly code: string;
  readonly message: string;
  /** The law being checked when it happened (absent for a crash of the verifying process). */
  readonly law?: string;
  /** The values the script was resolving. */
  readonly values?: readonly JsonValue[];
}

/** One law's verdict. */
export interface LawVerdict {
  readonly law: string;
  readonly statement: string;
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  /** Paste after `--replay` to check exactly this counterexample again. */
  readonly replay?: string;
  readonly counterexample?: string;
  /** Set when the sandbox refused the script during this law (the run stopped there). */
  readonly sandbox?: SandboxRefusal;
  /** Fuel the engine counted during this law (engines that count fuel; not for the map laws). */
  readonly fuel?: number;
  readonly ms: number;
}

/** `pass`: every law holds; `fail`: a law fails; `sandbox`: the sandbox refused the script. */
export type Verdict = "pass" | "fail" | "sandbox";

/** What `converge verify` found. */
export interface VerifyReport {
  readonly script: string;
  readonly id: string;
  readonly seed: number;
  readonly engine: { readonly name: EngineName; readonly fuel?: number };
  readonly verdict: Verdict;
  readonly ok: boolean;
  readonly laws: readonly LawVerdict[];
  /** Laws not checked because the sandbox refused the script first. */
  readonly skipped: readonly string[];
  /** Why the sandbox refused the script, when `verdict` is `sandbox`. */
  readonly sandbox?: SandboxRefusal;
  /** True when the verifying process itself was killed (the refusal is a crash). */
  readonly crash?: boolean;
  /** What makes the verdict weaker than it looks (a `values` schema with a single value). */
  readonly warnings: readonly string[];
}

/** Options of {@link verifyScript}. */
export interface VerifyOptions {
  readonly runs?: number;
  readonly seed?: number;
  readonly limits?: Partial<ScriptLimits>;
  /** The sandbox engine; default {@link DEFAULT_ENGINE}. */
  readonly engine?: EngineName;
  /** Checks only the law and counterexample of a `--replay` token. */
  readonly replay?: Replay;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
  /** Called with each law's name as its check starts. */
  readonly onLaw?: (law: string) => void;
}

/** Every law `converge verify` knows, in the order they are checked. */
export const LAW_NAMES: readonly string[] = Object.freeze([
  "terminates",
  "deterministic",
  "commutative",
  "associative",
  "idempotent",
  "fold",
  "order-insensitive",
  "batched",
  "converges",
]);

// Failures that are the script's own doing (a law failure); any other code is the sandbox
// refusing the script — a limit, or a crash the supervisor contained.
const SCRIPT_FAULTS: ReadonlySet<string> = new Set([
  "SCRIPT_THREW",
  "SCRIPT_NON_JSON",
  "SCRIPT_NONDETERMINISM",
]);

/** True for a script error code that means the sandbox refused the script. */
export function isSandboxCode(code: string): boolean {
  return code.startsWith("SCRIPT_") && !SCRIPT_FAULTS.has(code);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const MAX_TEXT = 4000;
const cap = (s: string): string =>
  s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
const show = (v: unknown): string => cap(JSON.stringify(v) ?? String(v));

class SandboxStop extends Error {}

/** The orders a fold is checked in: all of them up to 4 values, else 24 (the list, reversed, and shuffles). */
function orders(n: number, seed: number): number[][] {
  const ids = Array.from({ length: n }, (_, i) => i);
  if (n <= 4) {
    const out: number[][] = [];
    const walk = (prefix: number[], rest: number[]): void => {
      if (rest.length === 0) out.push(prefix);
      rest.forEach((x, i) => {
        walk([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]);
      });
    };
    walk([], ids);
    return out;
  }
  const out = [ids, [...ids].reverse()];
  let x = seed >>> 0;
  while (out.length < 24) {
    const p = [...ids];
    for (let i = n - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (i + 1);
      [p[i], p[j]] = [p[j] as number, p[i] as number];
    }
    out.push(p);
  }
  return out;
}

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
    const call = (h: typeof handle, k: "resolve" | "merge", list: readonly JsonValue[]): JsonValue =>
      unwrap(h.run(k, [list])[0], list);
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

    type Check = () => Promise<{
      ok: boolean;
      runs: number;
      seed: number;
      path?: string;
      counterexample?: string;
    }>;
    const checks: [string, string, Check][] = [];
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

    const list = fc.array(values, { minLength: 2, maxLength: 8 });
    checks.push([
      "terminates",
      "every resolution finishes within the sandbox's limits and returns JSON",
      property(
        fc.property(
          list,
          guarded((vs: JsonValue[]) => void read(vs)),
        ),
      ),
    ]);
    checks.push([
      "deterministic",
      "the same values give the same result in a fresh sandbox",
      property(
        fc.property(
          list,
          guarded((vs: JsonValue[]) => {
            const x = call(handle, kind, vs);
            const y = call(twin, kind, vs);
            if (!same(x, y)) throw new Error(`first ${show(x)}, then ${show(y)}`);
          }),
        ),
      ),
    ]);
    if (handle.shape.merge) {
      checks.push([
        "commutative",
        "merge(a, b) = merge(b, a)",
        property(
          fc.property(
            values,
            values,
            guarded((a: JsonValue, b: JsonValue) => {
              const x = merge(a, b);
              const y = merge(b, a);
              if (!same(x, y)) throw new Error(`merge(a, b) = ${show(x)} but merge(b, a) = ${show(y)}`);
            }),
          ),
        ),
      ]);
      checks.push([
        "associative",
        "merge(merge(a, b), c) = merge(a, merge(b, c))",
        property(
          fc.property(
            values,
            values,
            values,
            guarded((a: JsonValue, b: JsonValue, c: JsonValue) => {
              const x = merge(merge(a, b), c);
              const y = merge(a, merge(b, c));
              if (!same(x, y)) throw new Error(`left ${show(x)}, right ${show(y)}`);
            }),
          ),
        ),
      ]);
      checks.push([
        "idempotent",
        "merge(m, m) = m for every m that merge returns",
        property(
          fc.property(
            values,
            values,
            guarded((a: JsonValue, b: JsonValue) => {
              // On merge's own results: a script may normalise what users wrote (sort, dedupe).
              const m = merge(a, b);
              const x = merge(m, m);
              if (!same(x, m)) throw new Error(`m = merge(a, b) = ${show(m)}, merge(m, m) = ${show(x)}`);
            }),
          ),
        ),
      ]);
      checks.push([
        "fold",
        "folding 3–8 values with merge in one instance gives the same result in every order",
        property(
          fc.property(
            fc.array(values, { minLength: 3, maxLength: 8 }),
            fc.nat(),
            guarded((vs: JsonValue[], k: number) => {
              // Every order in one batch: each list is folded left to right in a fresh instance, as a map does.
              const lists = orders(vs.length, k).map((o) => o.map((i) => vs[i] as JsonValue));
              const results = handle.run("merge", lists).map((r, i) => unwrap(r, lists[i] ?? []));
              const at = results.findIndex((r) => !same(r, results[0]));
              if (at > 0) {
                throw new Error(
                  `folding ${show(lists[0])} gives ${show(results[0])}, folding ${show(lists[at])} gives ${show(results[at])}`,
                );
              }
            }),
          ),
        ),
      ]);
    }
    if (handle.shape.resolve) {
      checks.push([
        "order-insensitive",
        "resolve(values) does not depend on the order of 2–8 values",
        property(
          fc.property(
            list,
            fc.nat(),
            guarded((vs: JsonValue[], k: number) => {
              const all = orders(vs.length, k);
              const shuffled = (all[1 + (k % (all.length - 1))] ?? []).map((i) => vs[i] as JsonValue);
              const x = call(handle, "resolve", vs);
              const y = call(handle, "resolve", shuffled);
              if (!same(x, y)) throw new Error(`${show(vs)} → ${show(x)}; ${show(shuffled)} → ${show(y)}`);
            }),
          ),
        ),
      ]);
    }
    const onFailure = (f: {
      values: readonly JsonValue[];
      error: { code: string; message: string };
    }): void => {
      // A read deferred by a spent apply budget is read again later: not a refusal.
      if (f.error.code !== "SCRIPT_APPLY_BUDGET" && isSandboxCode(f.error.code))
        refuse(f.error.code, f.error.message, f.values);
    };
    const mapRuns = Math.max(10, Math.round(runs / 2));
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

/** The report of a run whose verifying process was killed while the script ran. */
export function crashReport(
  name: string,
  source: string,
  how: string,
  engineName: EngineName,
  seed: number,
  law?: string,
): VerifyReport {
  const hash = createHashHex(source);
  const sandbox: SandboxRefusal = {
    code: "SCRIPT_CRASHED",
    message: `the sandbox did not contain the script: the verifying process was killed (${how})`,
    ...(law === undefined ? {} : { law }),
  };
  return {
    script: name,
    id: scriptId(hash),
    seed,
    engine: { name: engineName },
    verdict: "sandbox",
    ok: false,
    laws: [],
    skipped: law === undefined ? [...LAW_NAMES] : LAW_NAMES.slice(Math.max(0, LAW_NAMES.indexOf(law))),
    sandbox,
    crash: true,
    warnings: [],
  };
}

function createHashHex(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}
