import { type Concurrent, type Resolver, registerResolver } from "@converge/core";
import { type ScriptError, ScriptError as ScriptErrorClass } from "./errors.ts";
import { toJsonValue } from "./to-json-value.ts";
import type { JsonValue, ScriptEngine, ScriptEngineOptions, ScriptHandle } from "./types.ts";

const UNRESOLVED: unique symbol = Symbol.for("@converge/script/unresolved") as never;

/**
 * What a script-governed key reads as when its script failed to resolve its concurrent values
 * (error, timeout, out of memory, non-JSON or oversized result). The key stays in visible
 * conflict: `values` are its concurrent values (newest first, as the script would have received
 * them) and `error` says why. The replicated state is never touched by a script, so a failure —
 * which can depend on the machine — can never make replicas diverge; it only shows here.
 */
export interface Unresolved {
  readonly [UNRESOLVED]: true;
  readonly values: readonly JsonValue[];
  readonly error: ScriptError;
}

/** True when a read is an {@link Unresolved} conflict (works across package copies). */
export function isUnresolved(value: unknown): value is Unresolved {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[UNRESOLVED] === true
  );
}

/** A failed resolution, reported to `onFailure`. */
export interface ScriptFailure {
  readonly script: string;
  readonly values: readonly JsonValue[];
  readonly error: ScriptError;
}

/** Options of {@link scriptResolver}. */
export interface ScriptResolverOptions extends Omit<ScriptEngineOptions, "engine"> {
  /** The script's JavaScript source (see docs/SCRIPTS.md for its shape). */
  readonly source: string;
  /**
   * The engine: a name (`"quickjs"`, the default, or `"isolated-vm"`; with the limits given here,
   * one engine per name and limits is shared by the process's script resolvers), or an engine
   * from `createScriptEngine` (then the limits here are ignored).
   */
  readonly engine?: ScriptEngineOptions["engine"] | ScriptEngine;
  /** Called for every failed resolution (the key then reads as {@link Unresolved}). */
  readonly onFailure?: (failure: ScriptFailure) => void;
}

/**
 * The resolver id of a script: `script:`, the first 16 hex digits of its SHA-256, and — when
 * given — `@` and the engine tag (engine, pinned version and the limits that decide verdicts, e.g.
 * `quickjs-0.32.0.r4.f1000.m32.s256`), so that replicas whose engines could read it differently
 * refuse each other's state.
 */
export function scriptId(hash: string, engineTag?: string): string {
  return engineTag === undefined ? `script:${hash.slice(0, 16)}` : `script:${hash.slice(0, 16)}@${engineTag}`;
}

/**
 * The resolver of {@link ScriptResolverOptions} over `shared` (the entry point's engine cache).
 * @internal
 */
export function scriptResolverOn(
  shared: (options: ScriptEngineOptions) => ScriptEngine,
  options: ScriptResolverOptions,
): Resolver<JsonValue, JsonValue | Unresolved> {
  const { source, engine: choice, onFailure: _onFailure, ...limits } = options;
  const engine: ScriptEngine =
    typeof choice === "object" && choice !== null
      ? choice
      : shared({ ...limits, ...(choice === undefined ? {} : { engine: choice }) });
  const handle: ScriptHandle = engine.load(source);
  const kind = handle.shape.resolve ? "resolve" : "merge";
  const id = scriptId(handle.hash, handle.engineTag);
  const unresolved = (values: readonly JsonValue[], error: ScriptError): Unresolved => {
    options.onFailure?.({ script: id, values, error });
    return Object.freeze({ [UNRESOLVED]: true as const, values, error });
  };
  const valuesOf = (list: readonly Concurrent<JsonValue>[]): JsonValue[] => list.map((c) => c.value);
  return registerResolver<JsonValue, JsonValue | Unresolved>({
    id,
    version: 1,
    accept: toJsonValue,
    resolve: (list) => {
      if (list.length === 1) return (list[0] as Concurrent<JsonValue>).value;
      const values = valuesOf(list);
      const [result] = handle.run(kind, [values]);
      if (result === undefined)
        return unresolved(
          values,
          new ScriptErrorClass("SCRIPT_ROW_MISMATCH", "the sandbox returned no result"),
        );
      return result.ok ? result.value : unresolved(values, result.error);
    },
    resolveMany: (lists) => {
      const values = lists.map(valuesOf);
      return handle.run(kind, values).map((r) => (r.ok ? r.value : undefined));
    },
  });
}
