import type { Resolver } from "@converge/core";
import {
  createScriptEngine,
  type JsonValue,
  type ScriptEngine,
  ScriptError,
  type ScriptFailure,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
  scriptResolver,
  type Unresolved,
} from "@converge/script";

/** The sandbox engines `converge verify --engine` accepts. */
export const ENGINE_NAMES: readonly EngineName[] = Object.freeze(["quickjs", "isolated-vm"]);

/** A sandbox engine's name (the same names as `@converge/script`'s `engine` option). */
export type EngineName = "quickjs" | "isolated-vm";

/** The engine verify uses when `--engine` is not given. */
export const DEFAULT_ENGINE: EngineName = "isolated-vm";

/** True for a name `--engine` accepts. */
export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/**
 * What verify needs from a sandbox engine, whichever it is: handles to call the script directly
 * (each list in a fresh instance of the script), resolvers for real maps, and the fuel used.
 * The one place that knows how `@converge/script` exposes its engines.
 */
export interface VerifyEngine {
  readonly name: EngineName;
  /**
   * Loads `source` in this engine's sandbox; the handle's `run` counts fuel and reads again the
   * lists a spent run budget deferred. @throws ScriptError `SCRIPT_LOAD` / `SCRIPT_UNAVAILABLE`. */
  readonly load: (source: string) => Pick<ScriptHandle, "hash" | "shape" | "run">;
  /** A resolver for `source` in a sandbox of its own (a fresh engine per call, freed by `dispose`). */
  readonly freshResolver: (
    source: string,
    onFailure?: (failure: ScriptFailure) => void,
  ) => Resolver<JsonValue, JsonValue | Unresolved>;
  /** Fuel used so far by every sandbox this adapter opened; undefined when the engine counts none. */
  readonly fuelUsed: () => number | undefined;
  readonly dispose: () => void;
}

/** A resolution not run because its run's budget was spent: read it again. */
const deferred = (r: ScriptResult): boolean => !r.ok && (r.error.code as string) === "SCRIPT_APPLY_BUDGET";

/**
 * Opens `name` with `limits`.
 * @throws ScriptError `SCRIPT_UNAVAILABLE` when this build of `@converge/script` lacks the engine.
 */
export function openEngine(name: EngineName, limits: Partial<ScriptLimits> = {}): VerifyEngine {
  if (name !== "isolated-vm") {
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      `the ${name} engine is not available in this build of @converge/script (try --engine isolated-vm)`,
    );
  }
  const opened: ScriptEngine[] = [];
  const open = (): ScriptEngine => {
    const engine = createScriptEngine(limits);
    opened.push(engine);
    return engine;
  };
  const main = open();
  let fuel = 0;
  let counted = false;
  return {
    name,
    load: (source) => {
      const handle = main.load(source);
      const run = (kind: "resolve" | "merge", lists: readonly (readonly JsonValue[])[]): ScriptResult[] => {
        const count = (results: readonly ScriptResult[]): void => {
          for (const r of results) {
            // Engines that count fuel put it on each result (QuickJS); others leave it out.
            const f = (r as { readonly fuel?: number }).fuel;
            if (typeof f === "number") {
              fuel += f;
              counted = true;
            }
          }
        };
        const out = handle.run(kind, lists);
        count(out);
        // Lists left over when one run's budget is spent are read again, as a map does later.
        let pending = out.flatMap((r, i) => (deferred(r) ? [i] : []));
        while (pending.length > 0) {
          const again = handle.run(
            kind,
            pending.map((i) => lists[i] as readonly JsonValue[]),
          );
          count(again);
          const left = pending.filter((i, j) => {
            const r = again[j];
            if (r !== undefined && !deferred(r)) out[i] = r;
            return r === undefined || deferred(r);
          });
          if (left.length === pending.length) break;
          pending = left;
        }
        return out;
      };
      return Object.freeze({ hash: handle.hash, shape: handle.shape, run });
    },
    freshResolver: (source, onFailure) =>
      scriptResolver({ source, engine: open(), ...(onFailure === undefined ? {} : { onFailure }) }),
    // isolated-vm limits wall-clock time; it has no deterministic fuel count.
    fuelUsed: () => (counted ? fuel : undefined),
    dispose: () => {
      for (const e of opened) e.dispose();
      opened.length = 0;
    },
  };
}
