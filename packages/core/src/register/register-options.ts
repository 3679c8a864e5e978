// RegisterOptions, the options of registerResolver, and their check.
import { ConfigError, describeValue } from "../errors.ts";
import type { Concurrent } from "../resolver.ts";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Options of {@link registerResolver}. */
export interface RegisterOptions<In, Out> {
  /** Stable id of the resolver, e.g. `"lww"`. */
  readonly id: string;
  /** Positive integer version. */
  readonly version: number;
  /**
   * Reads the concurrent values of a key as one value. Receives them newest first (HLC time
   * descending, node id breaking ties), never empty; must be deterministic and must not depend on
   * anything but its argument. A single value is passed as a one-element array.
   */
  readonly resolve: (values: readonly Concurrent<In>[]) => Out;
  /** Validates and freezes a value before it is written; default {@link toValue}. */
  readonly accept?: (value: In) => In;
  /**
   * Reads many keys' concurrent values at once (same contract as `resolve`, one result per
   * list; `undefined` for one that should be read again later). When given, states merged by an
   * apply are read in one batch and cached per state.
   */
  readonly resolveMany?: (lists: readonly (readonly Concurrent<In>[])[]) => readonly (Out | undefined)[];
  /**
   * Declares that `resolve` always returns the newest write's value (`values[0].value`), as lww
   * does. Reads then skip building the list of concurrent values (and can come straight from the
   * map's packed columns); `resolve` is not called. Default false.
   */
  readonly readsNewest?: boolean;
}

/**
 * {@link registerResolver}'s options beyond id and version (which {@link defineResolver} checks).
 *
 * @throws ConfigError (`INVALID_CONFIG`).
 */
export function checkRegisterOptions<In, Out>(options: RegisterOptions<In, Out>): void {
  if (!isObject(options)) {
    throw new ConfigError(
      `registerResolver: options must be an object { id, version, resolve }, got ${describeValue(options)}`,
    );
  }
  if (typeof options.resolve !== "function") {
    throw new ConfigError(
      `registerResolver ${String(options.id)}: resolve must be a function (values) => value, got ${describeValue(options.resolve)}`,
    );
  }
  for (const name of ["accept", "resolveMany"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new ConfigError(
        `registerResolver ${String(options.id)}: ${name} must be a function, got ${describeValue(options[name])}`,
      );
    }
  }
  if (options.readsNewest !== undefined && typeof options.readsNewest !== "boolean") {
    throw new ConfigError(
      `registerResolver ${String(options.id)}: readsNewest must be a boolean, got ${describeValue(options.readsNewest)}`,
    );
  }
}
