/**
 * @converge/script/browser — resolver scripts in a page or a worker: the QuickJS engine only
 * (WebAssembly, deterministic fuel), and no Node-only module anywhere in its import graph.
 *
 * `await loadQuickJS()` once (optionally with the wasm's URL, bytes or compiled module), then use
 * `scriptResolver({ source })` exactly as with `@converge/script` in Node: the same resolver ids,
 * reads and state bytes, so a page and a server replicate the same script-governed keys.
 * Isolated-vm, the supervisor and the file loaders are Node-only and not exported here.
 *
 * @packageDocumentation
 */
export { createScriptEngine, scriptResolver, sharedScriptEngine } from "./browser-engine.ts";
export { ScriptError, type ScriptErrorCode } from "./errors.ts";
export { createQuickJSEngine, QUICKJS_VERSION } from "./quickjs-engine.ts";
export { loadQuickJS, type QuickJSWasmOptions } from "./quickjs-module.ts";
export {
  isUnresolved,
  type ScriptFailure,
  type ScriptResolverOptions,
  scriptId,
  type Unresolved,
} from "./scripted-register.ts";
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
