import type { Resolver } from "@converge/core";
import { sharedScriptEngine } from "./engine.ts";
import { type ScriptResolverOptions, scriptResolverOn, type Unresolved } from "./scripted-register.ts";
import type { JsonValue } from "./types.ts";

/**
 * A register resolver whose concurrent values are resolved by a sandboxed script: with
 * `resolve(values)` (newest first) when the script declares it, else by folding `merge(a, b)`
 * over them in that order. A single value reads as itself without calling the script. Causally
 * later writes replace what they saw, deletes are observed-remove — the causal machinery is the
 * built-in one; the script only decides how concurrent values read.
 *
 * The resolver's id is `script:<hash>@<engine tag>`: state written under one version of a script,
 * or under another engine (version, fuel, memory or stack limit), is refused (`UNKNOWN_RESOLVER`)
 * by a replica running another. Roll out a new version under new key patterns, or migrate
 * explicitly (docs/SCRIPTS.md). A resolution the apply's budget left out is read on first `get`.
 *
 * @throws ScriptError `SCRIPT_LOAD` / `SCRIPT_UNAVAILABLE` when the script cannot be loaded.
 */
export function scriptResolver(options: ScriptResolverOptions): Resolver<JsonValue, JsonValue | Unresolved> {
  return scriptResolverOn(sharedScriptEngine, options);
}
