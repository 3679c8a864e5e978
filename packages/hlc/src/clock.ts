import {
  ClockDriftError,
  ClockOverflowError,
  ConfigError,
  describeValue,
  InvalidValueError,
  PhysicalTimeError,
  TimestampRangeError,
} from "./errors.ts";
import { randomNodeId } from "./node-id.ts";
import {
  checkTimestamp,
  compareTimestamps,
  isNodeId,
  MAX_COUNTER,
  MAX_WALL,
  type NodeId,
  Timestamp,
} from "./timestamp.ts";

/** Default `maxDrift`: five minutes. */
export const DEFAULT_MAX_DRIFT_MS: number = 5 * 60 * 1000;

/** Reported when the physical time source moves backwards. Timestamps stay monotonic regardless. */
export interface ClockBackwardsEvent {
  /** The largest physical time read before. */
  readonly previous: number;
  /** The physical time just read. */
  readonly current: number;
  /** `previous - current`, in ms. */
  readonly by: number;
}

/** What a clock needs to resume after a restart: the largest timestamp it issued or observed. */
export interface ClockState {
  readonly wall: number;
  readonly counter: number;
  readonly node: NodeId;
}

/** Options of {@link createClock}. */
export interface ClockOptions {
  /** This node's id; default 64 random bits. */
  readonly node?: NodeId;
  /** Physical time source in ms since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Largest accepted lead of a remote wall time over local physical time, ms; default 5 minutes; `Infinity` disables the check. */
  readonly maxDrift?: number;
  /** Called when the physical time source moves backwards (never thrown as an error). */
  readonly onBackwards?: (event: ClockBackwardsEvent) => void;
  /** State saved with {@link Clock.state} by an earlier run of this node. */
  readonly restore?: ClockState;
}

/**
 * A hybrid logical clock (Kulkarni et al., 2014) for one node.
 *
 * Laws:
 * - every timestamp returned by `tick`, `observe` or `observeBatch` is strictly greater than every
 *   timestamp this clock returned or observed before (also across `state()`/`restore`);
 * - after `observe(r)` succeeds, the next `tick()` is greater than `r`;
 * - `wall - physical` never exceeds the largest accepted remote lead (`maxDrift`), plus one ms per
 *   65,536 events issued within a single millisecond (counter overflow borrows the next ms);
 * - a rejected remote timestamp (drift) leaves the clock exactly as it was.
 */
export interface Clock {
  /** This node's id; also the tie-breaking field of every timestamp it issues. */
  readonly node: NodeId;
  /** The configured drift limit, ms. */
  readonly maxDrift: number;
  /** A timestamp for a local or send event. */
  readonly tick: () => Timestamp;
  /**
   * Merges a remote timestamp (a receive event) and returns the receive event's timestamp.
   * @throws ClockDriftError (`HLC_DRIFT`) when `remote` is more than `maxDrift` ahead of physical
   *   time; the clock is then unchanged.
   */
  readonly observe: (remote: Timestamp) => Timestamp;
  /**
   * Reduces `remotes` to their maximum, then observes it. Returns `undefined` (and changes
   * nothing) for an empty batch. Either the whole batch is accepted or nothing changes.
   */
  readonly observeBatch: (remotes: Iterable<Timestamp>) => Timestamp | undefined;
  /** Throws exactly what `observe(remote)` would throw, without changing the clock. */
  readonly check: (remote: Timestamp) => void;
  /** The largest timestamp issued or observed so far (the zero timestamp before any event). */
  readonly last: () => Timestamp;
  /** State to persist; pass it as `restore` to resume without ever reissuing a timestamp. */
  readonly state: () => ClockState;
}

/**
 * Creates a hybrid logical clock.
 *
 * @example
 * const clock = createClock({ node: "00000000000000a1" });
 * const t1 = clock.tick();
 * const t2 = clock.observe(remoteTimestamp); // t2 > t1 and t2 > remoteTimestamp
 */
export function createClock(options: ClockOptions = {}): Clock {
  checkClockOptions(options);
  const node = options.node ?? randomNodeId();
  if (!isNodeId(node))
    throw new TimestampRangeError(`node id ${JSON.stringify(node)} is not 16 lowercase hex digits`);
  const now = options.now ?? Date.now;
  const maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT_MS;
  if (typeof maxDrift !== "number" || Number.isNaN(maxDrift) || maxDrift < 0) {
    throw new TimestampRangeError(`maxDrift ${maxDrift} must be a non-negative number of ms`);
  }
  const onBackwards = options.onBackwards;

  let wall = 0;
  let counter = 0;
  let started = false;
  let lastPhysical = -1;
  if (options.restore !== undefined) {
    const r = options.restore;
    if (!Number.isInteger(r.wall) || r.wall < 0 || r.wall > MAX_WALL) {
      throw new TimestampRangeError(`restored wall ${r.wall} out of range`);
    }
    if (!Number.isInteger(r.counter) || r.counter < 0 || r.counter > MAX_COUNTER) {
      throw new TimestampRangeError(`restored counter ${r.counter} out of range`);
    }
    wall = r.wall;
    counter = r.counter;
    started = true;
  }

  const physical = (): number => {
    const pt = now();
    if (!Number.isInteger(pt) || pt < 0 || pt > MAX_WALL) throw new PhysicalTimeError(pt);
    if (lastPhysical >= 0 && pt < lastPhysical) {
      onBackwards?.({ previous: lastPhysical, current: pt, by: lastPhysical - pt });
    } else {
      lastPhysical = pt;
    }
    return pt;
  };

  /** Commits (w, c), borrowing the next millisecond on counter overflow. */
  const commit = (w: number, c: number): Timestamp => {
    let nw = w;
    let nc = c;
    if (nc > MAX_COUNTER) {
      nw += 1;
      nc = 0;
    }
    if (nw > MAX_WALL)
      throw new ClockOverflowError("wall time would pass 2^48 - 1 ms; the clock cannot advance");
    wall = nw;
    counter = nc;
    started = true;
    return new Timestamp(wall, counter, node);
  };

  const tick = (): Timestamp => {
    const pt = physical();
    if (pt > wall) return commit(pt, 0);
    return commit(wall, started ? counter + 1 : 0);
  };

  const driftCheck = (remote: Timestamp, pt: number): void => {
    if (remote.wall - pt > maxDrift) throw new ClockDriftError(remote.wall, pt, maxDrift);
  };

  const check = (remote: Timestamp): void => {
    checkTimestamp(remote, "clock.check");
    const pt = now();
    if (!Number.isInteger(pt) || pt < 0 || pt > MAX_WALL) throw new PhysicalTimeError(pt);
    driftCheck(remote, pt);
  };

  const observe = (remote: Timestamp): Timestamp => {
    checkTimestamp(remote, "clock.observe");
    const pt = physical();
    driftCheck(remote, pt);
    const w = Math.max(wall, remote.wall, pt);
    if (w === wall && w === remote.wall) return commit(w, Math.max(counter, remote.counter) + 1);
    if (w === wall) return commit(w, counter + 1);
    if (w === remote.wall) return commit(w, remote.counter + 1);
    return commit(w, 0);
  };

  const observeBatch = (remotes: Iterable<Timestamp>): Timestamp | undefined => {
    if (typeof (remotes as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== "function") {
      throw new InvalidValueError(
        `clock.observeBatch: expected an iterable of Timestamps, got ${describeValue(remotes)}`,
      );
    }
    let max: Timestamp | undefined;
    for (const r of remotes) {
      checkTimestamp(r, "clock.observeBatch");
      if (max === undefined || compareTimestamps(r, max) > 0) max = r;
    }
    return max === undefined ? undefined : observe(max);
  };

  return {
    node,
    maxDrift,
    tick,
    observe,
    observeBatch,
    check,
    last: () => new Timestamp(wall, counter, node),
    state: () => ({ wall, counter, node }),
  };
}

const CLOCK_OPTIONS = new Set(["node", "now", "maxDrift", "onBackwards", "restore"]);

/** Type checks of {@link createClock}'s options (ranges are checked where the values are used). */
function checkClockOptions(options: ClockOptions): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigError(`createClock: options must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!CLOCK_OPTIONS.has(name)) {
      throw new ConfigError(
        `createClock: unknown option ${JSON.stringify(name)}; expected one of ${[...CLOCK_OPTIONS].join(", ")}`,
      );
    }
  }
  const { node, now, maxDrift, onBackwards, restore } = options;
  if (node !== undefined && typeof node !== "string") {
    throw new ConfigError(`createClock: node must be 16 lowercase hex digits, got ${describeValue(node)}`);
  }
  if (now !== undefined && typeof now !== "function") {
    throw new ConfigError(`createClock: now must be a function returning ms, got ${describeValue(now)}`);
  }
  if (maxDrift !== undefined && typeof maxDrift !== "number") {
    throw new ConfigError(`createClock: maxDrift must be a number of ms, got ${describeValue(maxDrift)}`);
  }
  if (onBackwards !== undefined && typeof onBackwards !== "function") {
    throw new ConfigError(`createClock: onBackwards must be a function, got ${describeValue(onBackwards)}`);
  }
  if (restore !== undefined && (typeof restore !== "object" || restore === null)) {
    throw new ConfigError(
      `createClock: restore must be the object clock.state() returned, got ${describeValue(restore)}`,
    );
  }
}
