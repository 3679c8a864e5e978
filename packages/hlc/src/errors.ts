import { ConvergeError } from "./converge-error.ts";

/** A timestamp field is outside its range (wall 48 bits, counter 16 bits, node 64 bits). Code `HLC_RANGE`. */
export class TimestampRangeError extends ConvergeError {
  constructor(message: string) {
    super("HLC_RANGE", message);
  }
}

/** Untrusted bytes or text are not a valid encoded timestamp. Code `HLC_DECODE`. */
export class TimestampDecodeError extends ConvergeError {
  constructor(message: string) {
    super("HLC_DECODE", message);
  }
}

/**
 * A remote timestamp is further ahead of local physical time than `maxDrift` allows. Code
 * `HLC_DRIFT`. The clock that raised it is left exactly as it was.
 */
export class ClockDriftError extends ConvergeError {
  /** Wall time (ms) of the rejected remote timestamp. */
  readonly remoteWall: number;
  /** Local physical time (ms) when it was checked. */
  readonly physical: number;
  /** How far ahead of local physical time the remote clock is, in ms. */
  readonly aheadBy: number;
  /** The configured limit, in ms. */
  readonly maxDrift: number;

  constructor(remoteWall: number, physical: number, maxDrift: number) {
    const aheadBy = remoteWall - physical;
    super(
      "HLC_DRIFT",
      `remote clock is ahead of local physical time by ${aheadBy} ms (max drift ${maxDrift} ms); timestamp rejected`,
    );
    this.remoteWall = remoteWall;
    this.physical = physical;
    this.aheadBy = aheadBy;
    this.maxDrift = maxDrift;
  }
}

/** The clock cannot advance: wall time would pass 2^48 - 1 ms. Code `HLC_OVERFLOW`. */
export class ClockOverflowError extends ConvergeError {
  constructor(message: string) {
    super("HLC_OVERFLOW", message);
  }
}

/** The injected physical time source returned something that is not a valid ms time. Code `HLC_PHYSICAL_TIME`. */
export class PhysicalTimeError extends ConvergeError {
  constructor(value: unknown) {
    super(
      "HLC_PHYSICAL_TIME",
      `physical time source returned ${String(value)}, expected an integer in [0, 2^48)`,
    );
  }
}
