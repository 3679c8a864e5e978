/**
 * @converge/script — user-defined conflict rules as JavaScript, run in an isolated-vm sandbox.
 *
 * A script declares `resolve(values)` (reduce concurrent values, given newest first) and/or
 * `merge(a, b)` (a value join), over JSON values. It runs with frozen built-ins and no clock,
 * randomness, locale, timers or host objects, under memory, CPU-time and output limits; every
 * failure is a typed {@link ScriptError}, the host keeps running and the replica's state is
 * untouched (the key reads as {@link Unresolved}). isolated-vm is an optional peer dependency:
 * nothing else in converge needs a native module.
 *
 * @packageDocumentation
 */
export {
  createScriptEngine,
  DEFAULT_LIMITS,
  type JsonValue,
  type ScriptEngine,
  type ScriptHandle,
  type ScriptLimits,
  type ScriptResult,
  type ScriptShape,
  toJsonValue,
} from "./engine.ts";
export { ScriptError, type ScriptErrorCode } from "./errors.ts";
export { loadScriptDirectory, loadScriptFile, type ScriptDirectory } from "./load.ts";
export {
  isUnresolved,
  type ScriptFailure,
  type ScriptResolverOptions,
  scriptId,
  scriptResolver,
  type Unresolved,
} from "./script-resolver.ts";
