import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checksumMatches, writeChecksum } from "../src/checksum.ts";
import { Reader, Writer } from "../src/codec.ts";
import { isConvergeError } from "../src/index.ts";
import { caught } from "./fixtures.ts";

describe("Writer and Reader", () => {
  it("round-trip unsigned and signed varints, floats and strings", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ t: fc.constant("u" as const), v: fc.maxSafeNat() }),
            fc.record({
              t: fc.constant("i" as const),
              v: fc.integer({ min: -(2 ** 52 - 1), max: 2 ** 52 - 1 }),
            }),
            fc.record({ t: fc.constant("f" as const), v: fc.double() }),
            fc.record({ t: fc.constant("s" as const), v: fc.string({ unit: "grapheme" }) }),
          ),
        ),
        (items) => {
          const w = new Writer(1);
          for (const it of items) {
            if (it.t === "u") w.uint(it.v);
            else if (it.t === "i") w.int(it.v);
            else if (it.t === "f") w.float64(it.v);
            else w.string(it.v);
          }
          const r = new Reader(w.finish());
          for (const it of items) {
            if (it.t === "u") expect(r.uint()).toBe(it.v);
            else if (it.t === "i") expect(r.int()).toBe(it.v);
            else if (it.t === "f") expect(r.float64()).toBe(it.v);
            else expect(r.string(1 << 20)).toBe(it.v);
          }
          r.done();
        },
      ),
    );
  });

  it("refuses truncated, overlong, non-minimal and oversized varints", () => {
    expect(
      isConvergeError(
        caught(() => new Reader(new Uint8Array([0x80])).uint()),
        "DECODE_TRUNCATED",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => new Reader(new Uint8Array([0x80, 0x00])).uint()),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    const nine = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(
      isConvergeError(
        caught(() => new Reader(nine).uint()),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    const big = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]); // 2^56 - 1
    expect(
      isConvergeError(
        caught(() => new Reader(big).uint()),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
  });

  it("refuses counts that the remaining bytes cannot hold", () => {
    const w = new Writer();
    w.uint(1_000_000);
    w.uint(1);
    expect(
      isConvergeError(
        caught(() => new Reader(w.finish()).count(1, "item")),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
  });

  it("refuses invalid UTF-8 and strings over the limit", () => {
    expect(
      isConvergeError(
        caught(() => new Reader(new Uint8Array([2, 0xc3, 0x28])).string(10)),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => new Reader(new Uint8Array([3, 97, 98, 99])).string(2)),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => new Reader(new Uint8Array([3, 97])).string(9)),
        "DECODE_TRUNCATED",
      ),
    ).toBe(true);
  });

  it("refuses trailing bytes", () => {
    const r = new Reader(new Uint8Array([1, 2]));
    r.uint();
    expect(
      isConvergeError(
        caught(() => r.done()),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
  });
});

describe("payload checksum", () => {
  /** `body` with its checksum appended. */
  const summed = (body: Uint8Array): Uint8Array => {
    const out = new Uint8Array(body.length + 8);
    out.set(body);
    writeChecksum(out, body.length);
    return out;
  };

  it("detects every single-bit flip, of the bytes and of the sum, at every length and alignment", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.nat(7), (body, shift) => {
        // At an offset inside a larger buffer, so the DataView reads are unaligned too.
        const bytes = new Uint8Array(body.length + 8 + shift).subarray(shift);
        bytes.set(summed(body));
        expect(checksumMatches(bytes, body.length)).toBe(true);
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(checksumMatches(bytes, body.length), `bit ${bit}`).toBe(false);
          bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        }
      }),
    );
  });

  it("detects any change confined to one 8-byte block", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.uint8Array({ minLength: 8, maxLength: 8 }).filter((x) => x.some((b) => b !== 0)),
        (body, at, xor) => {
          const bytes = summed(body);
          const block = (at % Math.ceil(body.length / 8)) * 8;
          let changed = false;
          for (let j = 0; j < 8 && block + j < body.length; j++) {
            bytes[block + j] = (bytes[block + j] as number) ^ (xor[j] as number);
            changed ||= xor[j] !== 0;
          }
          expect(checksumMatches(bytes, body.length)).toBe(!changed);
        },
      ),
    );
  });

  it("depends on the length: a zero byte more or less is a mismatch", () => {
    const body = new Uint8Array(13);
    const bytes = summed(body);
    const longer = new Uint8Array(22);
    longer.set(bytes.subarray(13), 14);
    expect(checksumMatches(longer, 14)).toBe(false);
    const shorter = new Uint8Array(20);
    shorter.set(bytes.subarray(13), 12);
    expect(checksumMatches(shorter, 12)).toBe(false);
  });
});
