import type { Resolver } from "@converge/core";
import { ScriptError } from "./errors.ts";
import { createQuickJSEngine } from "./quickjs-engine.ts";
import { type ScriptResolverOptions, scriptResolverOn, type Unresolved } from "./scripted-register.ts";
import { sharedEngines } from "./shared-engines.ts";
import type { JsonValue, ScriptEngine, ScriptEngineOptions } from "./types.ts";

/**
 * Creates a script engine in a page or worker: QuickJS only, in the caller's thread (its fuel,
 * memory and stack limits are its own, so no supervisor is needed for determinism).
 * @throws ScriptError `SCRIPT_UNAVAILABLE` for `engine: "isolated-vm"` or `supervised: true`
 *   (Node only: use `@converge/script`), or before `await loadQuickJS()`.
 */
export function createScriptEngine(options: ScriptEngineOptions = {}): ScriptEngine {
  const { engine = "quickjs", supervised, ...limits } = options;
  if (engine !== "quickjs") {
    throw new ScriptError(
      "SCRIPT_UNAVAILABLE",
      `the script engine ${JSON.stringify(engine)} is not available in the browser entry (QuickJS only)`,
    );
  }
  if (supervised === true) {
    throw new ScriptError("SCRIPT_UNAVAILABLE", "supervised engines need Node (child processes)");
  }
  return createQuickJSEngine(limits);
}

/** One engine per limits, shared by the script resolvers that name no engine instance. */
export const sharedScriptEngine: (options?: ScriptEngineOptions) => ScriptEngine =
  sharedEngines(createScriptEngine);

/**
 * `@converge/script`'s `scriptResolver`, on QuickJS only: the same resolver, the same id
 * (`script:<hash>@quickjs-…`), the same reads and state bytes as in Node — a page and a server
 * replicate the same keys. Await `loadQuickJS()` first.
 * @throws ScriptError `SCRIPT_LOAD` / `SCRIPT_UNAVAILABLE` when the script cannot be loaded.
 */
export function scriptResolver(options: ScriptResolverOptions): Resolver<JsonValue, JsonValue | Unresolved> {
  return scriptResolverOn(sharedScriptEngine, options);
}
