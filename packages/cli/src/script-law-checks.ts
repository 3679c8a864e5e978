/**
 * The laws `converge verify` checks on the script alone: termination, determinism, and for
 * `merge` commutativity, associativity, idempotence and the fold; for `resolve`, order.
 */
import type { JsonValue, ScriptHandle, ScriptResult } from "@converge/script";
import fc from "fast-check";
import { orders } from "./fold-orders.ts";
import { same, show } from "./verify-text.ts";

/** What one law's check found. */
export interface CheckOutcome {
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly counterexample?: string;
}

/** One law's check, run when its turn comes. */
export type Check = () => Promise<CheckOutcome>;

/** A law: its name, its statement, and its check. */
export type LawCheck = [law: string, statement: string, check: Check];

/** What the script laws run on: the loaded script and the verifier's calls into it. */
export interface ScriptLawKit {
  /** The script, loaded in the engine the laws read. */
  readonly handle: Pick<ScriptHandle, "shape" | "run">;
  /** The same script in a second, fresh engine (determinism). */
  readonly twin: Pick<ScriptHandle, "shape" | "run">;
  /** `resolve` when the script declares it, else `merge`. */
  readonly kind: "resolve" | "merge";
  readonly values: fc.Arbitrary<JsonValue>;
  /** Runs one list; a failure throws (fast-check shrinks it). */
  readonly call: (
    h: Pick<ScriptHandle, "run">,
    k: "resolve" | "merge",
    list: readonly JsonValue[],
  ) => JsonValue;
  readonly merge: (a: JsonValue, b: JsonValue) => JsonValue;
  /** What a map reads for these concurrent values. */
  readonly read: (list: readonly JsonValue[]) => JsonValue;
  /** A result's value; a failure throws (a sandbox refusal is recorded first). */
  readonly unwrap: (r: ScriptResult | undefined, list: readonly JsonValue[]) => JsonValue;
  /** A fast-check property as a check (seed, runs and a replay path from the options). */
  readonly property: <T extends [unknown, ...unknown[]]>(p: fc.IProperty<T>) => Check;
  /** A property body that does nothing once the sandbox refused the script. */
  readonly guarded: <A extends unknown[]>(body: (...args: A) => void) => (...args: A) => void;
}

/** The checks of the laws on the script alone, in the order `LAW_NAMES` lists them. */
export function scriptLawChecks(kit: ScriptLawKit): LawCheck[] {
  const { handle, twin, kind, values, call, merge, read, unwrap, property, guarded } = kit;
  const checks: LawCheck[] = [];
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
  return checks;
}
