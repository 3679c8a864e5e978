import { type Resolver, registerResolver, type Value } from "@converge/core";

/**
 * Multi-value register (vector-clock style): every concurrent write is kept and read back as an
 * array, newest first (HLC descending, node id breaking ties) — the same order on every replica.
 * A write that saw them replaces them all with its single value. Reads `[v]` when there is no
 * conflict. Deletes are observed-remove.
 *
 * @example
 * map.get<readonly string[]>("tags:apple") // ["organic", "red"] after two concurrent writes
 */
export function multiValue<T extends Value = Value>(): Resolver<T, readonly T[]> {
  return MV as unknown as Resolver<T, readonly T[]>; // T only narrows the static types
}

// One immutable instance: every multiValue() is the same resolver.
const MV: Resolver<Value, readonly Value[]> = registerResolver<Value, readonly Value[]>({
  id: "mv",
  version: 1,
  resolve: (values) => Object.freeze(values.map((v) => v.value)),
});
