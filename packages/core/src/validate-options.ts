import {
  ConfigError,
  CounterOverflowError,
  describeValue,
  InvalidKeyError,
  InvalidValueError,
} from "./errors.ts";
import { compileKeyRules, type KeyRules } from "./key-rules.ts";
import type { ApplyAsyncOptions, ReplicatedMapOptions } from "./replicated-map-types.ts";
import { DEFAULT_DECODE_LIMITS } from "./state-codec.ts";
import { VersionVector } from "./version-vector.ts";

// Argument and option checks of the public entry points of core. Each one throws a typed error at
// the call that made the mistake, naming what was passed and what was expected, before anything
// changes. The checks on hot paths (set, increment, apply) are typeof / instanceof tests only.

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const CLOCK_METHODS = ["tick", "observe", "observeBatch", "check", "last", "state"] as const;

/**
 * Checks {@link createReplicatedMap}'s options and compiles its key rules (which checks the
 * resolvers and patterns). Unknown top-level options are not refused, so options added later stay
 * compatible with older builds; a misspelt `resolvers` is refused because it is required.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for any malformed option.
 */
export function checkMapOptions(options: ReplicatedMapOptions): KeyRules {
  if (!isObject(options)) {
    throw new ConfigError(
      `createReplicatedMap: options must be an object such as { resolvers: { default: lww() } }, got ${describeValue(options)}`,
    );
  }
  const { clock, clockOptions, limits, state } = options;
  if (clock !== undefined) {
    const c = clock as unknown as Record<string, unknown>;
    const missing = isObject(c) ? CLOCK_METHODS.filter((m) => typeof c[m] !== "function") : CLOCK_METHODS;
    if (!isObject(c) || typeof c["node"] !== "string" || missing.length > 0) {
      throw new ConfigError(
        `createReplicatedMap: clock must be a clock from createClock(), got ${describeValue(clock)}${
          isObject(c) && missing.length > 0 ? ` (it has no ${missing.join(", ")})` : ""
        }`,
      );
    }
    if (clockOptions !== undefined) {
      throw new ConfigError(
        "createReplicatedMap: give either clock or clockOptions, not both (clockOptions only configure the default clock)",
      );
    }
  }
  if (clockOptions !== undefined && !isObject(clockOptions)) {
    throw new ConfigError(
      `createReplicatedMap: clockOptions must be an object (createClock's options), got ${describeValue(clockOptions)}`,
    );
  }
  if (limits !== undefined) {
    if (!isObject(limits)) {
      throw new ConfigError(`createReplicatedMap: limits must be an object, got ${describeValue(limits)}`);
    }
    for (const [name, value] of Object.entries(limits)) {
      if (!Object.hasOwn(DEFAULT_DECODE_LIMITS, name)) {
        throw new ConfigError(
          `createReplicatedMap: unknown limit ${JSON.stringify(name)}; expected one of ${Object.keys(DEFAULT_DECODE_LIMITS).join(", ")}`,
        );
      }
      if (
        value !== undefined &&
        !(value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && (value as number) >= 1))
      ) {
        throw new ConfigError(
          `createReplicatedMap: limit ${name} must be a positive integer or Infinity, got ${describeValue(value)}`,
        );
      }
    }
  }
  if (state !== undefined && !(state instanceof Uint8Array)) {
    throw new ConfigError(
      `createReplicatedMap: state must be a Uint8Array from encodeState(), got ${describeValue(state)}`,
    );
  }
  if (options.resolvers === undefined) {
    throw new ConfigError("createReplicatedMap: options.resolvers is required, e.g. { default: lww() }");
  }
  return compileKeyRules(options.resolvers);
}

/** A key passed to a read (`get`, `has`, `conflicts`) must be a string. */
export function checkReadKey(key: unknown, method: string): void {
  if (typeof key !== "string")
    throw new InvalidKeyError(`${method}: key must be a string, got ${describeValue(key)}`);
}

/**
 * An increment amount: not an integer (0.5, NaN, a string…) is `INVALID_VALUE`; an integer outside
 * the safe range (±2^53 - 1) is `COUNTER_OVERFLOW`, like a total that would leave it.
 */
export function checkAmount(amount: unknown, method: string): void {
  if (!Number.isSafeInteger(amount)) {
    if (!Number.isInteger(amount)) {
      throw new InvalidValueError(`${method}: amount must be an integer, got ${describeValue(amount)}`);
    }
    throw new CounterOverflowError(`${method}: amount ${String(amount)} is outside the safe-integer range`);
  }
}

/** A listener given to `subscribe` or `onOp` must be a function. */
export function checkListener<T>(listener: T, method: string): T {
  if (typeof listener !== "function") {
    throw new InvalidValueError(`${method}: listener must be a function, got ${describeValue(listener)}`);
  }
  return listener;
}

/** A payload given to an apply must be a Uint8Array (corrupt bytes are the decoder's business). */
export function checkPayload(bytes: unknown, method: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidValueError(
      `${method}: payload must be a Uint8Array (from encodeState, encodeDelta or onOp), got ${describeValue(bytes)}`,
    );
  }
  return bytes;
}

/** `applyAsync`'s options. */
export function checkApplyAsyncOptions(
  options: ApplyAsyncOptions | undefined,
): ApplyAsyncOptions | undefined {
  if (options === undefined) return options;
  if (!isObject(options)) {
    throw new ConfigError(`applyAsync: options must be an object, got ${describeValue(options)}`);
  }
  const { chunkSize, yieldTo } = options;
  if (chunkSize !== undefined && !(Number.isSafeInteger(chunkSize) && (chunkSize as number) >= 1)) {
    throw new ConfigError(
      `applyAsync: chunkSize must be a positive integer, got ${describeValue(chunkSize)}`,
    );
  }
  if (yieldTo !== undefined && typeof yieldTo !== "function") {
    throw new ConfigError(
      `applyAsync: yieldTo must be a function returning a promise, got ${describeValue(yieldTo)}`,
    );
  }
  return options;
}

const vectorHint = (value: unknown): string =>
  isObject(value) && !(value instanceof Map)
    ? " (rebuild a vector from its JSON form with versionVector(json))"
    : "";

/** A version vector argument (`encodeDelta`'s `since`). */
export function checkVersionVector(since: unknown, method: string): VersionVector {
  if (!(since instanceof VersionVector)) {
    throw new InvalidValueError(
      `${method}: expected a VersionVector (from versionVector() or map.versionVector()), got ${describeValue(since)}${vectorHint(since)}`,
    );
  }
  return since;
}

/** `compact`'s peers: an array of version vectors. */
export function checkVersionVectors(peers: unknown, method: string): void {
  if (!Array.isArray(peers)) {
    throw new InvalidValueError(
      `${method}: expected an array of the other replicas' VersionVectors, got ${describeValue(peers)}`,
    );
  }
  for (let i = 0; i < peers.length; i++) checkVersionVector(peers[i], `${method}: peers[${i}]`);
}
