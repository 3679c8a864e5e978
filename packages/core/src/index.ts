/**
 * @converge/core — replicated maps with a conflict resolver per key.
 *
 * A {@link ReplicatedMap} is one replica of a map from string keys to values. Each key is governed
 * by a {@link Resolver} chosen by key rules (exact keys, `prefix*` patterns, a default). Replicas
 * exchange full states, deltas since a {@link VersionVector}, or single ops, in any order; every
 * path converges to the same values and the same bytes. Register-like resolvers share the causal
 * machinery of {@link registerResolver}: causally later writes win, concurrent writes stay visible
 * through `conflicts`, deletes are observed-remove.
 *
 * @packageDocumentation
 */

export { ConvergeError, isConvergeError } from "@converge/hlc";
export { CausalContext } from "./causal-context.ts";
export {
  ConfigError,
  CounterOverflowError,
  DecodeError,
  InvalidKeyError,
  InvalidValueError,
  PayloadKindError,
  ResolverMismatchError,
  UnsupportedOperationError,
} from "./errors.ts";
export {
  type AnyResolver,
  compileKeyRules,
  type KeyRules,
  type KeyRulesConfig,
  resolverName,
} from "./key-rules.ts";
export { FORMAT_VERSION, type PayloadKind } from "./payload.ts";
export { Reader } from "./reader.ts";
export { type RegisterOptions, registerResolver } from "./register.ts";
export { createReplicatedMap } from "./replicated-map.ts";
export type {
  ApplyAsyncOptions,
  ApplyResult,
  Change,
  ChangeEvent,
  ReplicatedMap,
  ReplicatedMapOptions,
} from "./replicated-map-types.ts";
export { type Concurrent, defineResolver, type Resolver, type ResolverImpl, type Stamp } from "./resolver.ts";
export type { Snapshot } from "./snapshot.ts";
export { DEFAULT_DECODE_LIMITS, type DecodeLimits, StateReader, StateWriter } from "./state-codec.ts";
export { compareValues, MAX_VALUE_DEPTH, toValue, type Value, type ValueObject } from "./value.ts";
export { type Ordering, type ReplicaId, VersionVector, versionVector } from "./version-vector.ts";
export { Writer } from "./writer.ts";
