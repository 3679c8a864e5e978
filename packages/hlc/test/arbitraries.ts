import fc from "fast-check";
import { MAX_COUNTER, MAX_WALL, type Timestamp, timestamp } from "../src/index.ts";

/** Any node id: 16 lowercase hex digits. */
export const nodeIdArb: fc.Arbitrary<string> = fc
  .bigInt({ min: 0n, max: (1n << 64n) - 1n })
  .map((v) => v.toString(16).padStart(16, "0"));

/** Any valid timestamp, biased towards shared fields so ties are exercised. */
export const timestampArb: fc.Arbitrary<Timestamp> = fc
  .record({
    wall: fc.oneof(fc.integer({ min: 0, max: MAX_WALL }), fc.constantFrom(0, 1, 2 ** 32, MAX_WALL)),
    counter: fc.oneof(fc.integer({ min: 0, max: MAX_COUNTER }), fc.constantFrom(0, MAX_COUNTER)),
    node: fc.oneof(nodeIdArb, fc.constantFrom("0000000000000000", "ffffffffffffffff")),
  })
  .map(({ wall, counter, node }) => timestamp(wall, counter, node));

/** Hex of raw bytes, for comparing encodings. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Raw bytes from hex. */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Sign of a byte-wise lexicographic comparison. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.length - b.length);
}
