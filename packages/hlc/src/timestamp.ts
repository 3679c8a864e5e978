import { describeValue, InvalidValueError, TimestampRangeError } from "./errors.ts";

/** Largest wall time a timestamp can carry: 2^48 - 1 ms (about year 10889). */
export const MAX_WALL: number = 2 ** 48 - 1;
/** Largest logical counter: 2^16 - 1. */
export const MAX_COUNTER: number = 0xffff;

const NODE_RE = /^[0-9a-f]{16}$/;

/**
 * A node id: 64 bits as exactly 16 lowercase hex digits. Fixed width, so string order equals
 * numeric order.
 */
export type NodeId = string;

/** True when `value` is a well-formed {@link NodeId}. */
export function isNodeId(value: unknown): value is NodeId {
  return typeof value === "string" && NODE_RE.test(value);
}

/**
 * A hybrid logical clock timestamp: 48-bit wall time in ms, 16-bit counter, 64-bit node id.
 *
 * Ordering is total and lexicographic on (wall, counter, node): the node id breaks ties, so two
 * timestamps compare equal only when all three fields are equal. Instances are immutable; build
 * them with {@link timestamp}, which validates every field.
 */
export class Timestamp {
  /** Milliseconds since the Unix epoch, in [0, 2^48). */
  readonly wall: number;
  /** Logical counter within one wall millisecond, in [0, 2^16). */
  readonly counter: number;
  /** Id of the node that issued the timestamp. */
  readonly node: NodeId;

  /**
   * Does not validate: use {@link timestamp} for parts not known to be valid. (Public for the
   * converge packages, which build timestamps from already validated fields.)
   */
  constructor(wall: number, counter: number, node: NodeId) {
    this.wall = wall;
    this.counter = counter;
    this.node = node;
    Object.freeze(this);
  }

  /** The 32-character hex form (see {@link timestampToHex}). */
  toString(): string {
    return this.wall.toString(16).padStart(12, "0") + this.counter.toString(16).padStart(4, "0") + this.node;
  }

  /** JSON form: the 32-character hex string. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * Builds a validated {@link Timestamp}.
 *
 * @throws TimestampRangeError (`HLC_RANGE`) when a field is not an integer in range or `node` is
 *   not 16 lowercase hex digits.
 */
export function timestamp(wall: number, counter: number, node: NodeId): Timestamp {
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL) {
    throw new TimestampRangeError(`wall time ${wall} is not an integer in [0, 2^48)`);
  }
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
    throw new TimestampRangeError(`counter ${counter} is not an integer in [0, 65535]`);
  }
  if (!isNodeId(node)) {
    throw new TimestampRangeError(`node id ${JSON.stringify(node)} is not 16 lowercase hex digits`);
  }
  return new Timestamp(wall, counter, node);
}

/**
 * Total order on timestamps: by wall, then counter, then node id. Returns -1, 0 or 1.
 * `compareTimestamps(a, b) === 0` exactly when the three fields are equal.
 */
export function compareTimestamps(a: Timestamp, b: Timestamp): -1 | 0 | 1 {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return 0;
}

/** The larger of two timestamps under {@link compareTimestamps}. */
export function maxTimestamp(a: Timestamp, b: Timestamp): Timestamp {
  return compareTimestamps(a, b) >= 0 ? a : b;
}

/**
 * @internal Throws `INVALID_VALUE` unless `value` has a Timestamp's shape (checked by shape, not
 * `instanceof`, so a Timestamp from another copy of this package passes). Ranges are not checked.
 */
export function checkTimestamp(value: unknown, where: string): asserts value is Timestamp {
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as Timestamp).wall !== "number" ||
    typeof (value as Timestamp).counter !== "number" ||
    typeof (value as Timestamp).node !== "string"
  ) {
    throw new InvalidValueError(
      `${where}: expected a Timestamp (from timestamp(), a clock or decodeTimestamp()), got ${describeValue(value)}`,
    );
  }
}
