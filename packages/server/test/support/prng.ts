import { prng as mulberry32 } from "@converge/sync/testing";

/**
 * The sync kit's seeded PRNG (mulberry32) with the ranges and forks the fault proxy and the fuzzer
 * use: the same seed gives the same sequence on every machine.
 */
export interface Prng {
  /** A float in [0, 1). */
  readonly next: () => number;
  /** An integer in [min, max]. */
  readonly int: (min: number, max: number) => number;
  /** True with probability p. */
  readonly chance: (p: number) => boolean;
  /** A new generator seeded from this one (for an independent stream, e.g. per connection). */
  readonly fork: () => Prng;
}

export function prng(seed: number): Prng {
  const base = mulberry32(seed);
  const self: Prng = {
    next: base.next,
    int: (min, max) => min + base.int(max - min + 1),
    chance: base.chance,
    fork: () => prng(Math.floor(base.next() * 2 ** 32)),
  };
  return self;
}
