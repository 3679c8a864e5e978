/**
 * @converge/resolvers — the built-in conflict rules for @converge/core.
 *
 * Registers (`lww`, `multiValue`, `maxRegister`, `minRegister`) share one causal machinery:
 * causally later writes win, concurrent writes are kept as siblings and read by the rule,
 * deletes are observed-remove. Counters (`gcounter`, `pncounter`) add per-replica totals and
 * honour observed-remove deletes.
 *
 * @packageDocumentation
 */
export { gcounter, pncounter } from "./counter.ts";
export { maxRegister, minRegister } from "./extremum.ts";
export { lww } from "./lww.ts";
export { multiValue } from "./multi-value.ts";
