import { decodeMessage } from "@converge/sync";
import type { Prng } from "./prng.ts";

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** A batch's frames, or undefined when `frame` does not decode as a batch. */
function batched(frame: Uint8Array): readonly Uint8Array[] | undefined {
  if (frame[0] !== 13) return undefined;
  try {
    const m = decodeMessage(frame, { maxFrameBytes: 1 << 30 });
    return m.type === "batch" ? m.frames : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `frame` replays valid frames: a corpus frame unchanged, or a batch (say, spliced from
 * two at a frame boundary) holding a frame that some corpus frame holds or is.
 */
function replays(corpus: readonly Uint8Array[], frame: Uint8Array): boolean {
  if (corpus.some((c) => same(c, frame))) return true;
  const inner = batched(frame);
  if (inner === undefined) return false;
  return inner.some((f) => corpus.some((c) => same(c, f) || (batched(c)?.some((g) => same(g, f)) ?? false)));
}

/** How a fuzzed frame was made. */
export type Mutation = "random" | "bitflip" | "truncate" | "oversize" | "splice";

export const MUTATIONS: readonly Mutation[] = ["random", "bitflip", "truncate", "oversize", "splice"];

/**
 * One fuzzed frame from a corpus of valid frames: random bytes, a valid frame with 1–8 bits
 * flipped, a valid frame cut short, a frame larger than `maxFrameBytes`, or the head of one valid
 * frame spliced onto the tail of another. Never a valid frame unchanged, nor a batch holding one
 * (a replayed valid write would be a legitimate write, not fuzz).
 */
export function fuzzFrame(
  random: Prng,
  corpus: readonly Uint8Array[],
  maxFrameBytes: number,
): { readonly mutation: Mutation; readonly frame: Uint8Array } {
  const made = mutate(random, corpus, maxFrameBytes);
  if (replays(corpus, made.frame)) {
    const frame = new Uint8Array(made.frame.length + 1);
    frame.set(made.frame);
    frame[made.frame.length] = 0xff; // trailing garbage: a valid frame must end where its fields do
    return { mutation: made.mutation, frame };
  }
  return made;
}

function mutate(
  random: Prng,
  corpus: readonly Uint8Array[],
  maxFrameBytes: number,
): { readonly mutation: Mutation; readonly frame: Uint8Array } {
  const mutation = MUTATIONS[random.int(0, MUTATIONS.length - 1)] as Mutation;
  const pick = (): Uint8Array => corpus[random.int(0, corpus.length - 1)] as Uint8Array;
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = random.int(0, 255);
    return out;
  };
  switch (mutation) {
    case "random":
      return { mutation, frame: bytes(random.int(0, 64)) };
    case "bitflip": {
      const frame = pick().slice();
      if (frame.length === 0) return { mutation, frame: bytes(1) };
      const flips = random.int(1, 8);
      for (let i = 0; i < flips; i++) {
        const at = random.int(0, frame.length * 8 - 1);
        frame[at >> 3] = (frame[at >> 3] as number) ^ (1 << (at & 7));
      }
      return { mutation, frame };
    }
    case "truncate": {
      const source = pick();
      return { mutation, frame: source.slice(0, random.int(0, Math.max(0, source.length - 1))) };
    }
    case "oversize": {
      const frame = new Uint8Array(maxFrameBytes + random.int(1, 1024));
      frame.set(pick().subarray(0, Math.min(frame.length, 64)));
      return { mutation, frame };
    }
    case "splice": {
      const a = pick();
      const b = pick();
      const head = a.subarray(0, random.int(0, a.length));
      const tail = b.subarray(random.int(0, b.length));
      const frame = new Uint8Array(head.length + tail.length);
      frame.set(head);
      frame.set(tail, head.length);
      return { mutation, frame };
    }
  }
}
