import { compareValues, type Resolver, registerResolver, type Value } from "@converge/core";

/**
 * Max register: a write replaces what its writer saw (causally later wins, even if smaller);
 * concurrent writes read as the largest value under {@link compareValues} (numbers numerically,
 * strings by code units, …). Equal values are the same value, so there is no tie to break.
 */
export function maxRegister<T extends Value = Value>(): Resolver<T, T> {
  return registerResolver<T, T>({
    id: "max",
    version: 1,
    resolve: (values) =>
      values.reduce((m, v) => (compareValues(v.value, m) > 0 ? v.value : m), values[0]?.value as T),
  });
}

/** Min register: as {@link maxRegister}, reading concurrent writes as the smallest value. */
export function minRegister<T extends Value = Value>(): Resolver<T, T> {
  return registerResolver<T, T>({
    id: "min",
    version: 1,
    resolve: (values) =>
      values.reduce((m, v) => (compareValues(v.value, m) < 0 ? v.value : m), values[0]?.value as T),
  });
}
