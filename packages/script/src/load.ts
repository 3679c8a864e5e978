import { readFileSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import type { AnyResolver } from "@converge/core";
import { ScriptError } from "./errors.ts";
import { scriptResolver } from "./script-resolver.ts";
import type { ScriptResolverOptions } from "./scripted-register.ts";
import type { ScriptEngine } from "./types.ts";

/** Loads a script resolver from a file. */
export function loadScriptFile(
  path: string,
  options: Omit<ScriptResolverOptions, "source"> = {},
): ReturnType<typeof scriptResolver> {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (e) {
    throw new ScriptError(
      "SCRIPT_LOAD",
      `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return scriptResolver({ ...options, source });
}

/** Key patterns mapped to script resolvers, ready for `createReplicatedMap({ resolvers: { default, keys } })`. */
export interface ScriptDirectory {
  readonly keys: Readonly<Record<string, AnyResolver>>;
}

/** Options of {@link loadScriptDirectory}: the engine (a name or an instance) and limits. */
export type ScriptDirectoryOptions = Omit<ScriptResolverOptions, "source" | "onFailure">;

/**
 * Loads a directory of resolver scripts described by its `converge.json` manifest:
 * `{ "resolvers": { "cart:*": "cart.js", "price:*": "min-price.js" } }` — key pattern to script
 * file, relative to the directory. All scripts share one engine: `options.engine` (a name, default
 * `"quickjs"`, or an engine instance, which may also be passed directly).
 *
 * @throws ScriptError `SCRIPT_LOAD` for a missing or malformed manifest or script.
 */
export function loadScriptDirectory(
  dir: string,
  options: ScriptDirectoryOptions | ScriptEngine = {},
): ScriptDirectory {
  const opts: ScriptDirectoryOptions = "load" in options ? { engine: options } : options;
  const manifestPath = join(dir, "converge.json");
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (e) {
    throw new ScriptError(
      "SCRIPT_LOAD",
      `cannot read ${manifestPath}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const entries = (manifest as { resolvers?: unknown }).resolvers;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new ScriptError(
      "SCRIPT_LOAD",
      `${manifestPath}: expected { "resolvers": { "<key pattern>": "<file>.js" } }`,
    );
  }
  const keys: Record<string, AnyResolver> = {};
  for (const [pattern, file] of Object.entries(entries)) {
    if (typeof file !== "string")
      throw new ScriptError("SCRIPT_LOAD", `${manifestPath}: ${pattern} must name a file`);
    keys[pattern] = loadScriptFile(resolvePath(dir, file), opts);
  }
  return { keys };
}
