import { ScriptError } from "./errors.ts";
import { createIsolatedVmEngine } from "./ivm-engine.ts";
import { createQuickJSEngine } from "./quickjs-engine.ts";
import { loadQuickJS } from "./quickjs-module.ts";
import { sharedEngines } from "./shared-engines.ts";
import { createSupervisedEngine } from "./supervisor.ts";
import type { ScriptEngine, ScriptEngineOptions } from "./types.ts";

// The Node entry loads QuickJS's wasm (from disk) on import, so engines are ready at once.
await loadQuickJS();

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

/** One engine per name and limits, shared by the script resolvers that name no engine instance. */
export const sharedScriptEngine: (options?: ScriptEngineOptions) => ScriptEngine =
  sharedEngines(createScriptEngine);
