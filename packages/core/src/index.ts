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
 * Resolver authors encoding their own states import the primitives from `@converge/core/codec`;
 * the convergence harness is `@converge/core/testing`.
 *
 * @packageDocumentation
 */

export { ConvergeError, type ConvergeErrorCode, isConvergeError } from "@converge/hlc";
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
export type { AnyResolver, KeyRulesConfig } from "./key-rules.ts";
export type { RegisterOptions } from "./register/register-options.ts";
export { registerResolver } from "./register/register-resolver.ts";
export { createReplicatedMap } from "./replicated-map.ts";
export type {
  ApplyResult,
  Change,
  ChangeEvent,
  ReplicatedMap,
  ReplicatedMapOptions,
} from "./replicated-map-types.ts";
export { type Concurrent, defineResolver, type Resolver, type ResolverImpl, type Stamp } from "./resolver.ts";
export type { Snapshot } from "./snapshot.ts";
export { compareValues, toValue, type Value } from "./value.ts";
export { type ReplicaId, VersionVector, versionVector } from "./version-vector.ts";
