/**
 * @converge/script — user-defined conflict rules as JavaScript, run in a sandbox: QuickJS
 * (default; deterministic fuel, memory and stack limits, runs in Node and browsers) or
 * isolated-vm (opt-in, faster, wall-clock limits, supervised in a child process).
 *
 * A script declares `resolve(values)` (reduce concurrent values, given newest first) and/or
 * `merge(a, b)` (a value join), over JSON values. It runs with frozen built-ins and no clock,
 * randomness, locale, timers or host objects; every failure is a typed {@link ScriptError}, the
 * host keeps running and the replica's state is untouched (the key reads as {@link Unresolved}).
 *
 * @packageDocumentation
 */
export { createScriptEngine, sharedScriptEngine } from "./engine.ts";
export { ScriptError, type ScriptErrorCode } from "./errors.ts";
export { createIsolatedVmEngine } from "./ivm-engine.ts";
export {
  loadScriptDirectory,
  loadScriptFile,
  type ScriptDirectory,
  type ScriptDirectoryOptions,
} from "./load.ts";
export { createQuickJSEngine, QUICKJS_VERSION } from "./quickjs-engine.ts";
export { scriptResolver } from "./script-resolver.ts";
export {
  isUnresolved,
  type ScriptFailure,
  type ScriptResolverOptions,
  scriptId,
  type Unresolved,
} from "./scripted-register.ts";
export { createSupervisedEngine } from "./supervisor.ts";
export { toJsonValue } from "./to-json-value.ts";
export {
  DEFAULT_LIMITS,
  type JsonValue,
  type RunStats,
  type ScriptEngine,
  type ScriptEngineName,
  type ScriptEngineOptions,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
  type ScriptShape,
} from "./types.ts";
