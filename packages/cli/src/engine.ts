import type { Resolver } from "@converge/core";
import {
  createScriptEngine,
  type JsonValue,
  type ScriptEngine,
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

/** The engine verify uses when `--engine` is not given: QuickJS, as `@converge/script` does. */
export const DEFAULT_ENGINE: EngineName = "quickjs";

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
  readonly load: (source: string) => Pick<ScriptHandle, "hash" | "shape" | "engineTag" | "run">;
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
 * Opens `name` with `limits` (isolated-vm supervised in a child process, as `@converge/script`
 * runs it by default).
 * @throws ScriptError `SCRIPT_UNAVAILABLE` when the engine cannot be loaded.
 */
export function openEngine(name: EngineName, limits: Partial<ScriptLimits> = {}): VerifyEngine {
  const opened: ScriptEngine[] = [];
  const open = (): ScriptEngine => {
    const engine = createScriptEngine({ ...limits, engine: name });
    opened.push(engine);
    return engine;
  };
  const main = open();
  let fuel = 0;
  return {
    name,
    load: (source) => {
      const handle = main.load(source);
      type Lists = readonly (readonly JsonValue[])[];
      const counted = (kind: "resolve" | "merge", lists: Lists): ScriptResult[] => {
        const out = handle.run(kind, lists);
        fuel += handle.lastRun().fuel;
        return out;
      };
      const run = (kind: "resolve" | "merge", lists: Lists): ScriptResult[] => {
        const out = counted(kind, lists);
        // Lists left over when one run's budget is spent are read again, as a map does later.
        let pending = out.flatMap((r, i) => (deferred(r) ? [i] : []));
        while (pending.length > 0) {
          const again = counted(
            kind,
            pending.map((i) => lists[i] as readonly JsonValue[]),
          );
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
      return Object.freeze({ hash: handle.hash, shape: handle.shape, engineTag: handle.engineTag, run });
    },
    freshResolver: (source, onFailure) =>
      scriptResolver({ source, engine: open(), ...(onFailure === undefined ? {} : { onFailure }) }),
    // isolated-vm limits wall-clock time; it counts no fuel.
    fuelUsed: () => (name === "quickjs" ? fuel : undefined),
    dispose: () => {
      for (const e of opened) e.dispose();
      opened.length = 0;
    },
  };
}
