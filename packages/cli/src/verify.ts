import { checkConvergence, registerSpec } from "@converge/core/testing";
import {
  createScriptEngine,
  type JsonValue,
  type ScriptHandle,
  type ScriptLimits,
  scriptResolver,
} from "@converge/script";
import fc from "fast-check";
import { genericJson, schemaArbitrary } from "./schema.ts";

/** One law's verdict. */
export interface LawVerdict {
  readonly law: string;
  readonly statement: string;
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly counterexample?: string;
  readonly ms: number;
}

/** What `converge verify` found. */
export interface VerifyReport {
  readonly script: string;
  readonly id: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly laws: readonly LawVerdict[];
}

/** Options of {@link verifyScript}. */
export interface VerifyOptions {
  readonly runs?: number;
  readonly seed?: number;
  readonly limits?: Partial<ScriptLimits>;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Verifies a resolver script's laws: determinism across fresh sandboxes; for `merge`,
 * commutativity, associativity and idempotence; for `resolve`, insensitivity to the order of its
 * values; termination within the sandbox's limits with a JSON result; and convergence of maps
 * using it in the network simulator. Throws ScriptError (`SCRIPT_LOAD`, `SCRIPT_UNAVAILABLE`) when
 * the script cannot be loaded, and SchemaError for a malformed `values` declaration.
 */
export async function verifyScript(
  name: string,
  source: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const runs = options.runs ?? 100;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const progress = options.progress ?? (() => {});
  const engine = createScriptEngine(options.limits);
  const other = createScriptEngine(options.limits);
  try {
    const handle = engine.load(source);
    const twin = other.load(source);
    const values = handle.shape.values === null ? genericJson : schemaArbitrary(handle.shape.values);
    const laws: LawVerdict[] = [];

    /** Runs `kind` on one list; a failure becomes a thrown error that fast-check shrinks. */
    const call = (h: ScriptHandle, kind: "resolve" | "merge", list: readonly JsonValue[]): JsonValue => {
      const [r] = h.run(kind, [list]);
      if (r === undefined) throw new Error("no result");
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      return r.value;
    };
    const merge = (a: JsonValue, b: JsonValue): JsonValue => call(handle, "merge", [a, b]);
    const resolve = (list: readonly JsonValue[]): JsonValue => call(handle, "resolve", list);
    const read = (list: readonly JsonValue[]): JsonValue =>
      list.length === 1
        ? (list[0] as JsonValue)
        : call(handle, handle.shape.resolve ? "resolve" : "merge", list);

    const law = async (
      id: string,
      statement: string,
      prop: fc.IProperty<never> | fc.IAsyncProperty<never>,
      lawRuns = runs,
    ): Promise<void> => {
      progress(`checking ${id} …`);
      const t = performance.now();
      const details = await fc.check(prop as fc.IAsyncProperty<unknown[]>, { seed, numRuns: lawRuns });
      const ms = performance.now() - t;
      if (!details.failed) {
        laws.push({ law: id, statement, ok: true, runs: details.numRuns, seed, ms });
        return;
      }
      const err = details.errorInstance;
      laws.push({
        law: id,
        statement,
        ok: false,
        runs: details.numRuns,
        seed: details.seed,
        path: details.counterexamplePath ?? "",
        counterexample: `${JSON.stringify(details.counterexample)}\n${err instanceof Error ? err.message : String(err)}`,
        ms,
      });
    };

    const list = fc.array(values, { minLength: 2, maxLength: 4 });
    await law(
      "terminates",
      "every resolution finishes within the sandbox's limits and returns JSON",
      fc.property(list, (vs) => {
        read(vs);
      }) as never,
    );
    await law(
      "deterministic",
      "the same values give the same result in a fresh sandbox",
      fc.property(list, (vs) => {
        const kind = handle.shape.resolve ? "resolve" : "merge";
        const x = call(handle, kind, vs);
        const y = call(twin, kind, vs);
        if (!same(x, y)) throw new Error(`first ${JSON.stringify(x)}, then ${JSON.stringify(y)}`);
      }) as never,
    );
    if (handle.shape.merge) {
      await law(
        "commutative",
        "merge(a, b) = merge(b, a)",
        fc.property(values, values, (a, b) => {
          const x = merge(a, b);
          const y = merge(b, a);
          if (!same(x, y))
            throw new Error(`merge(a, b) = ${JSON.stringify(x)} but merge(b, a) = ${JSON.stringify(y)}`);
        }) as never,
      );
      await law(
        "associative",
        "merge(merge(a, b), c) = merge(a, merge(b, c))",
        fc.property(values, values, values, (a, b, c) => {
          const x = merge(merge(a, b), c);
          const y = merge(a, merge(b, c));
          if (!same(x, y)) throw new Error(`left ${JSON.stringify(x)}, right ${JSON.stringify(y)}`);
        }) as never,
      );
      await law(
        "idempotent",
        "merge(m, m) = m for every m that merge returns",
        fc.property(values, values, (a, b) => {
          // On merge's own results: a script may normalise what users wrote (sort, dedupe).
          const m = merge(a, b);
          const x = merge(m, m);
          if (!same(x, m))
            throw new Error(`m = merge(a, b) = ${JSON.stringify(m)}, merge(m, m) = ${JSON.stringify(x)}`);
        }) as never,
      );
    }
    if (handle.shape.resolve) {
      await law(
        "order-insensitive",
        "resolve(values) does not depend on the order of the values",
        fc.property(list, fc.nat(), (vs, k) => {
          const shuffled = [...vs];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (k + i * 7) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j] as JsonValue, shuffled[i] as JsonValue];
          }
          const x = resolve(vs);
          const y = resolve(shuffled);
          if (!same(x, y))
            throw new Error(
              `${JSON.stringify(vs)} → ${JSON.stringify(x)}; ${JSON.stringify(shuffled)} → ${JSON.stringify(y)}`,
            );
        }) as never,
      );
    }
    const resolver = scriptResolver({ source, engine });
    progress("checking convergence in the network simulator …");
    const t = performance.now();
    const net = await checkConvergence({
      rules: { default: resolver },
      keys: ["a", "b"],
      values: values as fc.Arbitrary<never>,
      specs: { [resolver.id]: registerSpec((live) => read(live.map((o) => o.value as JsonValue))) },
      seed,
      numRuns: Math.max(10, Math.round(runs / 2)),
      log: () => {},
    });
    laws.push({
      law: "converges",
      statement: "replicas using the script converge and read what the script resolves",
      ok: net.ok,
      runs: net.runs,
      seed: net.seed,
      ...(net.path === undefined ? {} : { path: net.path }),
      ...(net.counterexample === undefined ? {} : { counterexample: net.counterexample }),
      ms: performance.now() - t,
    });
    return { script: name, id: resolver.id, seed, ok: laws.every((l) => l.ok), laws };
  } finally {
    engine.dispose();
    other.dispose();
  }
}
