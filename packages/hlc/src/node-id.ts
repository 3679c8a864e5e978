import { TimestampRangeError } from "./errors.ts";
import type { NodeId } from "./timestamp.ts";

/** A fresh node id of 64 random bits from `crypto.getRandomValues`. */
export function randomNodeId(): NodeId {
  const bytes = new Uint8Array(8);
  // Web Crypto is global in Node 19+ and every browser; typed here so the package needs no DOM or Node types.
  (
    globalThis as unknown as { crypto: { getRandomValues(a: Uint8Array): Uint8Array } }
  ).crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * A node id from an unsigned 64-bit integer.
 *
 * @throws TimestampRangeError when `value` is outside [0, 2^64).
 */
export function nodeIdFromBigInt(value: bigint): NodeId {
  if (value < 0n || value >= 1n << 64n) {
    throw new TimestampRangeError(`node id ${value} is outside [0, 2^64)`);
  }
  return value.toString(16).padStart(16, "0");
}
