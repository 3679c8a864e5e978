import { type DecodeLimits, StateReader } from "@converge/core/codec";

/**
 * StateReader's constructor as core has it. Core marks it internal (readers are made by the
 * payload decoder), so its published types hide it; this keeper is the one place outside core
 * that makes a reader, and only to hold its class.
 */
type ReaderConstructor = new (
  bytes: Uint8Array,
  start: number,
  end: number,
  table: readonly string[],
  limits: DecodeLimits,
) => StateReader;
const Reader = StateReader as unknown as ReaderConstructor;

/**
 * Keeps one empty {@link StateReader} alive for as long as the keeper is reachable (a text
 * resolver holds one), made after the first decode it is shown.
 *
 * Why: V8 describes an object's layout with a hidden class, and a full garbage collection frees a
 * hidden class no live object uses, throwing away the optimised code built on it. A payload's
 * reader dies when its apply returns, so after a collection the next full-state apply relearns
 * the reader's class, and the text decode — which inlines the reader's methods — runs
 * unoptimised for hundreds of keys (measured: about 12 ms of CPU on the 1,000-key text bench
 * merge, a third of it). Core's own keeper (core's shape-keeper.ts) holds a reader made before
 * any time was read, whose class a reader's first HLC time replaces (a wall clock is not a small
 * integer), so it does not keep the class live readers have. This keeper is made from a decode
 * that has read a time — the key clock is never empty — and holds no bytes, no table and no
 * payload. Should core keep a used reader's class, this can go.
 */
export function createReaderKeeper(): ReaderKeeper {
  let kept: StateReader | undefined;
  return {
    keep: (used) => {
      kept ??= new Reader(new Uint8Array(0), 0, 0, [], used.limits);
    },
    kept: () => kept,
  };
}

/** See {@link createReaderKeeper}. */
export interface ReaderKeeper {
  /** Called after each decode with its reader: the first call makes the kept reader. */
  readonly keep: (used: StateReader) => void;
  /** The kept reader (empty: no bytes, no replica table), once made. */
  readonly kept: () => StateReader | undefined;
}
