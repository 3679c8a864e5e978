// prng: the sync kit's seeded PRNG (mulberry32), as a plain function for shuffles inside one property run.
import { prng as mulberry32 } from "@converge/sync/testing";

/**
 * A deterministic generator of numbers in [0, 1) from `seed`: the `next` of `@converge/sync/testing`'s
 * `prng` (mulberry32), so the workspace has one PRNG.
 */
export function prng(seed: number): () => number {
  return mulberry32(seed).next;
}
