import { type Resolver, registerResolver, type Value } from "@converge/core";

/**
 * Last-writer-wins register ordered by hybrid logical clocks.
 *
 * - Causally ordered writes: the later write wins (it replaced what it saw).
 * - Concurrent writes: the one with the highest HLC timestamp wins; equal wall time and counter are
 *   broken by the node id (higher wins), so two distinct writes never tie.
 * - The losing concurrent values stay visible through `conflicts(key)` until a write that saw them
 *   replaces them. Deletes are observed-remove (a concurrent write survives).
 *
 * @example
 * const map = createReplicatedMap({ resolvers: { default: lww<number>() } });
 */
export function lww<T extends Value = Value>(): Resolver<T, T> {
  return LWW as unknown as Resolver<T, T>; // T only narrows the static types; runtime checks are by toValue
}

// One immutable instance: every lww() is the same resolver (the type parameter only narrows types).
const LWW: Resolver<Value, Value> = registerResolver<Value, Value>({
  id: "lww",
  version: 1,
  resolve: (values) => (values[0] as { value: Value }).value,
  // The same read, answered without building the list (and from packed columns by the map).
  readsNewest: true,
});
