import type { Timers } from "../session-types.ts";

/** Timers a test drives by hand: nothing fires until `advance`. */
export interface FakeTimers {
  readonly timers: Timers;
  /** Moves the clock by `ms`, firing every timer due by then, in due order (ties in creation order). */
  readonly advance: (ms: number) => void;
  /** Moves the clock to the next timer and fires it; false when none is set. */
  readonly next: () => boolean;
  /** Timers set and not yet fired or cleared. */
  readonly pending: () => number;
}

/** Builds {@link FakeTimers} starting at `start` ms (default 0). */
export function fakeTimers(start = 0): FakeTimers {
  let now = start;
  let id = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const earliest = (): [number, { at: number; fn: () => void }] | undefined => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of due) if (best === undefined || e[1].at < best[1].at) best = e;
    return best;
  };
  const fire = (limit: number): boolean => {
    const e = earliest();
    if (e === undefined || e[1].at > limit) return false;
    due.delete(e[0]);
    now = Math.max(now, e[1].at);
    e[1].fn();
    return true;
  };
  return {
    timers: {
      setTimeout: (fn, ms) => {
        const handle = ++id;
        due.set(handle, { at: now + Math.max(0, ms), fn });
        return handle;
      },
      clearTimeout: (handle) => {
        due.delete(handle as number);
      },
      now: () => now,
    },
    advance: (ms) => {
      const target = now + ms;
      while (fire(target)) {}
      now = target;
    },
    next: () => fire(Number.POSITIVE_INFINITY),
    pending: () => due.size,
  };
}
