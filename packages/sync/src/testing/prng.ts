/**
 * A seeded pseudo-random generator (mulberry32): `next()` in [0, 1), `int(n)` in [0, n). The same
 * seed gives the same sequence on every platform.
 */
export interface Prng {
  readonly next: () => number;
  readonly int: (n: number) => number;
  readonly chance: (p: number) => boolean;
}

/** Builds a {@link Prng} from a 32-bit seed. */
export function prng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}
