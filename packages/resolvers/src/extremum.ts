import { compareValues, type Resolver, registerResolver, type Value } from "@converge/core";

/**
 * Max register: a write replaces what its writer saw (causally later wins, even if smaller);
 * concurrent writes read as the largest value under {@link compareValues} (numbers numerically,
 * strings by code units, …). Equal values are the same value, so there is no tie to break.
 */
export function maxRegister<T extends Value = Value>(): Resolver<T, T> {
  return MAX as unknown as Resolver<T, T>; // T only narrows the static types
}

/** Min register: as {@link maxRegister}, reading concurrent writes as the smallest value. */
export function minRegister<T extends Value = Value>(): Resolver<T, T> {
  return MIN as unknown as Resolver<T, T>; // T only narrows the static types
}

function extreme(sign: 1 | -1): (values: readonly { readonly value: Value }[]) => Value {
  return (values) => {
    let best = (values[0] as { value: Value }).value;
    for (const v of values) if (compareValues(v.value, best) * sign > 0) best = v.value;
    return best;
  };
}

// One immutable instance each: every maxRegister() / minRegister() is the same resolver.
const MAX: Resolver<Value, Value> = registerResolver<Value, Value>({
  id: "max",
  version: 1,
  resolve: extreme(1),
});
const MIN: Resolver<Value, Value> = registerResolver<Value, Value>({
  id: "min",
  version: 1,
  resolve: extreme(-1),
});
