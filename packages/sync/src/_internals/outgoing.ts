import { encodeMessage } from "../frame-codec.ts";

/**
 * Frames waiting to go to each connection, written once per turn of the event loop: one frame
 * alone as it is, two or more as `batch` frames (each within `maxFrameBytes`). Order per
 * connection is the order of `push`.
 */
export interface Outgoing<C> {
  /** Queues `frame` for `c`; the first frame queued in a turn schedules the write. */
  readonly push: (c: C, frame: Uint8Array) => void;
  /** Writes what is queued for `c` now (before a close, so a refusal is not lost). */
  readonly flush: (c: C) => void;
  /** Bytes queued for `c` and not yet handed to its transport. */
  readonly queuedBytes: (c: C) => number;
  /** Runs `fn` once everything queued so far was handed to the transports. */
  readonly after: (fn: () => void) => void;
}

interface Queue {
  frames: Uint8Array[];
  bytes: number;
}

/** Bytes a frame adds to a batch beyond its own: its length prefix (a uint of at most 5 bytes). */
const PER_FRAME = 5;
/** A batch's own bytes: its tag and its count. */
const PER_BATCH = 6;

type Defer = (fn: () => void) => void;

/** Packs the frames queued for one connection into its writes (see {@link Outgoing}). */
export type Pack = (frames: readonly Uint8Array[]) => Uint8Array[];

/**
 * Runs `fn` after the I/O of this turn: `setImmediate` where the platform has it (Node, Bun,
 * Deno), else a zero timeout. Frames read from many sockets in one turn share one write each.
 */
export const deferToNextTurn: Defer = (() => {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === "function") return (fn: () => void) => void immediate(fn);
  return (fn: () => void) => void globalThis.setTimeout(fn, 0);
})();

/**
 * Builds {@link Outgoing}: `write(c, frame)` hands one frame to `c`'s transport; `share`, when
 * given, wraps the packing (the sync host's packs the same relayed frames once for all).
 */
export function outgoing<C>(
  maxFrameBytes: number,
  write: (c: C, frame: Uint8Array) => void,
  defer: Defer = deferToNextTurn,
  share?: (pack: Pack) => Pack,
): Outgoing<C> {
  const queues = new Map<C, Queue>();
  let afterwards: (() => void)[] = [];
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    defer(flushAll);
  };

  const own: Pack = (frames) => {
    const writes: Uint8Array[] = [];
    let batch: Uint8Array[] = [];
    let size = PER_BATCH;
    const emit = (): void => {
      if (batch.length === 1) writes.push(batch[0] as Uint8Array);
      else if (batch.length > 1) writes.push(encodeMessage({ type: "batch", frames: batch }));
      batch = [];
      size = PER_BATCH;
    };
    for (const f of frames) {
      if (batch.length > 0 && size + f.length + PER_FRAME > maxFrameBytes) emit();
      batch.push(f);
      size += f.length + PER_FRAME;
    }
    emit();
    return writes;
  };
  const pack = share?.(own) ?? own;
  // A turn's relay is one delta, the same frame object for every connection (written as it is),
  // or a few ops (the same frame objects, packed once with `share`).
  const drain = (c: C, q: Queue): void => {
    const { frames } = q;
    for (const w of frames.length === 1 ? frames : pack(frames)) write(c, w);
  };
  function flushAll(): void {
    scheduled = false;
    for (const [c, q] of queues) {
      queues.delete(c);
      drain(c, q);
    }
    const run = afterwards;
    afterwards = [];
    for (const fn of run) fn();
  }

  return {
    push: (c, frame) => {
      let q = queues.get(c);
      if (q === undefined) {
        q = { frames: [], bytes: 0 };
        queues.set(c, q);
      }
      q.frames.push(frame);
      q.bytes += frame.length;
      schedule();
    },
    flush: (c) => {
      const q = queues.get(c);
      if (q === undefined) return;
      queues.delete(c);
      drain(c, q);
    },
    queuedBytes: (c) => queues.get(c)?.bytes ?? 0,
    after: (fn) => {
      afterwards.push(fn);
      schedule();
    },
  };
}
