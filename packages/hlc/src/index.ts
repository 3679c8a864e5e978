/**
 * @converge/hlc — hybrid logical clocks.
 *
 * A timestamp is (48-bit wall ms, 16-bit counter, 64-bit node id), totally ordered in that field
 * order; the node id breaks ties, so distinct timestamps never compare equal. Clocks reject remote
 * timestamps too far in the future (the clock is left unchanged), absorb a local clock that jumps
 * backwards, borrow the next millisecond when 65,536 events share one, and persist their state so
 * a restarted node never reissues a timestamp.
 *
 * @packageDocumentation
 */
export {
  type Clock,
  type ClockBackwardsEvent,
  type ClockOptions,
  type ClockState,
  createClock,
  DEFAULT_MAX_DRIFT_MS,
} from "./clock.ts";
export {
  decodeTimestamp,
  encodeTimestamp,
  TIMESTAMP_BYTES,
  TIMESTAMP_HEX_LENGTH,
  timestampFromHex,
  timestampToHex,
} from "./codec.ts";
export {
  ClockDriftError,
  ClockOverflowError,
  CONVERGE_ERROR,
  ConfigError,
  ConvergeError,
  type ConvergeErrorCode,
  type ConvergeErrorCodes,
  describeValue,
  InvalidValueError,
  isConvergeError,
  PhysicalTimeError,
  TimestampDecodeError,
  TimestampRangeError,
} from "./errors.ts";
export { nodeIdFromBigInt, randomNodeId } from "./node-id.ts";
export {
  compareTimestamps,
  isNodeId,
  MAX_COUNTER,
  MAX_WALL,
  maxTimestamp,
  type NodeId,
  Timestamp,
  timestamp,
} from "./timestamp.ts";
