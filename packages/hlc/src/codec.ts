import { describeValue, InvalidValueError, TimestampDecodeError, TimestampRangeError } from "./errors.ts";
import { checkTimestamp, MAX_WALL, Timestamp } from "./timestamp.ts";

/** Encoded size of a timestamp in bytes. */
export const TIMESTAMP_BYTES = 16;
/** Length of the hex form of a timestamp. */
export const TIMESTAMP_HEX_LENGTH = 32;

const HEX = "0123456789abcdef";

/**
 * Encodes a timestamp as 16 big-endian bytes: wall (6), counter (2), node (8). Byte-wise
 * lexicographic order of the output equals {@link compareTimestamps} order.
 *
 * Writes into `target` at `offset` when given, otherwise into a new array.
 *
 * @throws InvalidValueError (`INVALID_VALUE`) when `ts` is not a Timestamp or `target` not a
 *   Uint8Array; TimestampRangeError (`HLC_RANGE`) when `target` has no room at `offset`.
 */
export function encodeTimestamp(ts: Timestamp, target?: Uint8Array, offset = 0): Uint8Array {
  checkTimestamp(ts, "encodeTimestamp");
  if (target !== undefined && !(target instanceof Uint8Array)) {
    throw new InvalidValueError(`encodeTimestamp: target must be a Uint8Array, got ${describeValue(target)}`);
  }
  const out = target ?? new Uint8Array(TIMESTAMP_BYTES);
  if (!Number.isInteger(offset) || offset < 0 || offset + TIMESTAMP_BYTES > out.length) {
    throw new TimestampRangeError(
      `encodeTimestamp: no room for ${TIMESTAMP_BYTES} bytes at offset ${String(offset)} of ${out.length}`,
    );
  }
  const high = Math.floor(ts.wall / 2 ** 32);
  const low = ts.wall >>> 0;
  out[offset] = high >>> 8;
  out[offset + 1] = high & 0xff;
  out[offset + 2] = low >>> 24;
  out[offset + 3] = (low >>> 16) & 0xff;
  out[offset + 4] = (low >>> 8) & 0xff;
  out[offset + 5] = low & 0xff;
  out[offset + 6] = ts.counter >>> 8;
  out[offset + 7] = ts.counter & 0xff;
  for (let i = 0; i < 8; i++) {
    out[offset + 8 + i] = Number.parseInt(ts.node.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/**
 * Decodes 16 bytes written by {@link encodeTimestamp}. Every 16-byte input is a valid timestamp;
 * a shorter input (or an offset leaving fewer than 16 bytes) is refused.
 *
 * @throws TimestampDecodeError (`HLC_DECODE`) when fewer than 16 bytes are available or, without
 *   an offset, when `bytes` is not exactly 16 bytes long.
 */
export function decodeTimestamp(bytes: Uint8Array, offset?: number): Timestamp {
  if (!(bytes instanceof Uint8Array)) {
    throw new TimestampDecodeError("expected a Uint8Array");
  }
  const at = offset ?? 0;
  if (
    offset === undefined ? bytes.length !== TIMESTAMP_BYTES : at < 0 || at + TIMESTAMP_BYTES > bytes.length
  ) {
    throw new TimestampDecodeError(
      `expected ${TIMESTAMP_BYTES} bytes at offset ${at}, got ${Math.max(0, bytes.length - at)}`,
    );
  }
  const b = (i: number): number => bytes[at + i] as number;
  const low = ((b(2) << 24) | (b(3) << 16) | (b(4) << 8) | b(5)) >>> 0;
  const wall = (b(0) * 256 + b(1)) * 2 ** 32 + low;
  const counter = (b(6) << 8) | b(7);
  let node = "";
  for (let i = 8; i < 16; i++) {
    const v = b(i);
    node += (HEX[v >>> 4] as string) + (HEX[v & 15] as string);
  }
  // 6 bytes can never exceed MAX_WALL; kept as a guard against future format changes.
  if (wall > MAX_WALL) throw new TimestampDecodeError(`wall time ${wall} out of range`);
  return new Timestamp(wall, counter, node);
}

/**
 * The 32-character lowercase hex form: 12 digits of wall, 4 of counter, 16 of node. Fixed width,
 * so string order equals timestamp order.
 */
export function timestampToHex(ts: Timestamp): string {
  checkTimestamp(ts, "timestampToHex");
  return Timestamp.prototype.toString.call(ts);
}

const HEX_RE = /^[0-9a-f]{32}$/;

/**
 * Parses the hex form written by {@link timestampToHex}. Uppercase digits, whitespace, signs or
 * any other length are refused, so a string round-trips byte for byte.
 *
 * @throws TimestampDecodeError (`HLC_DECODE`) on any malformed input.
 */
export function timestampFromHex(text: string): Timestamp {
  if (typeof text !== "string") throw new TimestampDecodeError("expected a string");
  if (text.length !== TIMESTAMP_HEX_LENGTH) {
    throw new TimestampDecodeError(
      `expected ${TIMESTAMP_HEX_LENGTH} hex digits, got ${text.length} characters`,
    );
  }
  if (!HEX_RE.test(text)) {
    throw new TimestampDecodeError("expected only lowercase hex digits 0-9a-f");
  }
  const wall = Number.parseInt(text.slice(0, 12), 16);
  const counter = Number.parseInt(text.slice(12, 16), 16);
  return new Timestamp(wall, counter, text.slice(16));
}
