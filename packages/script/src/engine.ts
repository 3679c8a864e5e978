import { toValue, type Value } from "@converge/core";
import { ScriptError } from "./errors.ts";
import { createIsolatedVmEngine } from "./ivm-engine.ts";
import { createQuickJSEngine } from "./quickjs-engine.ts";
import { createSupervisedEngine } from "./supervisor.ts";
import type { JsonValue, ScriptEngine, ScriptEngineName, ScriptLimits } from "./types.ts";

/** Options of {@link createScriptEngine}: the engine, its limits, and whether it is supervised. */
export interface ScriptEngineOptions extends Partial<ScriptLimits> {
  /**
   * `"quickjs"` (default): deterministic fuel, memory and stack limits — every replica reads the
   * same, even at the limits. `"isolated-vm"`: faster, limited by wall-clock time, the one place
   * where reads can differ at the limit.
   */
  readonly engine?: ScriptEngineName;
  /**
   * Run the engine in a supervised child process (a watchdog ends hangs, a fatal error ends only
   * the child). Default true for isolated-vm, false for QuickJS (which runs in the caller's thread
   * and in browsers; its limits are its own).
   */
  readonly supervised?: boolean;
}

/** Creates a script engine (see {@link ScriptEngineOptions}). */
export function createScriptEngine(options: ScriptEngineOptions = {}): ScriptEngine {
  const { engine = "quickjs", supervised, ...limits } = options;
  if (engine !== "quickjs" && engine !== "isolated-vm") {
    throw new ScriptError("SCRIPT_UNAVAILABLE", `unknown script engine ${JSON.stringify(engine)}`);
  }
  if (supervised ?? engine === "isolated-vm") {
    // Fail here, in the host, when isolated-vm is missing, rather than in the child.
    if (engine === "isolated-vm") createIsolatedVmEngine(limits).dispose();
    return createSupervisedEngine(engine, limits);
  }
  return engine === "quickjs" ? createQuickJSEngine(limits) : createIsolatedVmEngine(limits);
}

const shared = new Map<string, ScriptEngine>();

/** One engine per name and limits, shared by the script resolvers that name no engine instance. */
export function sharedScriptEngine(options: ScriptEngineOptions = {}): ScriptEngine {
  const key = JSON.stringify(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
  let e = shared.get(key);
  if (e === undefined) {
    e = createScriptEngine(options);
    shared.set(key, e);
  }
  return e;
}

/** Checks that a value can be given to a script: JSON data only (no byte arrays, no -0). */
export function toJsonValue(input: unknown): JsonValue {
  const v = toValue(input);
  const check = (x: Value): void => {
    if (x instanceof Uint8Array)
      throw new ScriptError("SCRIPT_NON_JSON", "byte arrays cannot be given to resolver scripts");
    if (Object.is(x, -0)) throw new ScriptError("SCRIPT_NON_JSON", "-0 cannot be given to resolver scripts");
    if (Array.isArray(x)) for (const y of x) check(y);
    else if (typeof x === "object" && x !== null) for (const y of Object.values(x)) check(y as Value);
  };
  check(v);
  return v as JsonValue;
}
