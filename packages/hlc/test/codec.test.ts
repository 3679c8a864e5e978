import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ConvergeErrorCode,
  compareTimestamps,
  decodeTimestamp,
  encodeTimestamp,
  isConvergeError,
  timestamp,
  timestampFromHex,
  timestampToHex,
} from "../src/index.ts";
import { bytesToHex, compareBytes, hexToBytes, timestampArb } from "./arbitraries.ts";

interface Vectors {
  valid: { wall: number; counter: number; node: string; hex: string; bytes: string }[];
  malformedHex: string[];
  malformedBytesLength: number[];
}
const vectors = JSON.parse(readFileSync(new URL("./vectors.json", import.meta.url), "utf8")) as Vectors;

function expectCode(code: ConvergeErrorCode, f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isConvergeError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

describe("bytes codec", () => {
  it("round-trips every timestamp", () => {
    fc.assert(
      fc.property(timestampArb, (t) => {
        expect(compareTimestamps(decodeTimestamp(encodeTimestamp(t)), t)).toBe(0);
      }),
    );
  });

  it("byte order equals timestamp order", () => {
    fc.assert(
      fc.property(timestampArb, timestampArb, (a, b) => {
        expect(compareBytes(encodeTimestamp(a), encodeTimestamp(b))).toBe(compareTimestamps(a, b));
      }),
    );
  });

  it("writes and reads at an offset", () => {
    const t = timestamp(123456789, 42, "00000000000000ff");
    const buf = new Uint8Array(20);
    encodeTimestamp(t, buf, 3);
    expect(compareTimestamps(decodeTimestamp(buf, 3), t)).toBe(0);
    expectCode("HLC_DECODE", () => decodeTimestamp(buf, 5));
    expectCode("HLC_DECODE", () => decodeTimestamp(buf, -1));
  });

  it("refuses inputs that are not exactly 16 bytes", () => {
    for (const n of vectors.malformedBytesLength) {
      expectCode("HLC_DECODE", () => decodeTimestamp(new Uint8Array(n)));
    }
    expectCode("HLC_DECODE", () => decodeTimestamp([1, 2, 3] as unknown as Uint8Array));
  });
});

describe("hex codec", () => {
  it("round-trips every timestamp", () => {
    fc.assert(
      fc.property(timestampArb, (t) => {
        const hex = timestampToHex(t);
        expect(hex).toHaveLength(32);
        expect(compareTimestamps(timestampFromHex(hex), t)).toBe(0);
      }),
    );
  });

  it("string order equals timestamp order", () => {
    fc.assert(
      fc.property(timestampArb, timestampArb, (a, b) => {
        const [x, y] = [timestampToHex(a), timestampToHex(b)];
        expect(x < y ? -1 : x > y ? 1 : 0).toBe(compareTimestamps(a, b));
      }),
    );
  });

  it("refuses malformed strings", () => {
    for (const s of vectors.malformedHex) expectCode("HLC_DECODE", () => timestampFromHex(s));
    expectCode("HLC_DECODE", () => timestampFromHex(42 as unknown as string));
  });

  it("never yields a partial or out-of-range timestamp from arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          const t = timestampFromHex(s);
          expect(timestampToHex(t)).toBe(s);
        } catch (e) {
          expect(isConvergeError(e, "HLC_DECODE")).toBe(true);
        }
      }),
    );
  });
});

describe("committed test vectors", () => {
  it.each(vectors.valid)("$hex", (v) => {
    const t = timestamp(v.wall, v.counter, v.node);
    expect(timestampToHex(t)).toBe(v.hex);
    expect(bytesToHex(encodeTimestamp(t))).toBe(v.bytes);
    const fromBytes = decodeTimestamp(hexToBytes(v.bytes));
    const fromHex = timestampFromHex(v.hex);
    for (const d of [fromBytes, fromHex]) {
      expect([d.wall, d.counter, d.node]).toEqual([v.wall, v.counter, v.node]);
    }
  });
});
