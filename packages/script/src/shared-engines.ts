import type { ScriptEngine, ScriptEngineOptions } from "./types.ts";

/**
 * A cache of engines by options (one engine per name and limits), over a factory: each entry
 * point (Node, browser) keeps its own, built on its own `createScriptEngine`.
 * @internal
 */
export function sharedEngines(
  create: (options: ScriptEngineOptions) => ScriptEngine,
): (options?: ScriptEngineOptions) => ScriptEngine {
  const shared = new Map<string, ScriptEngine>();
  return (options = {}) => {
    const key = JSON.stringify(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
    let e = shared.get(key);
    if (e === undefined) {
      e = create(options);
      shared.set(key, e);
    }
    return e;
  };
}
