import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareBytes } from "../src/text-state.ts";

/** The order compareBytes promises, byte by byte: the first differing byte, else the shorter. */
function reference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** A byte string placed at an offset of a larger buffer (so views are aligned or not). */
const placed = (bytes: Uint8Array, offset: number): Uint8Array => {
  const buf = new Uint8Array(bytes.length + offset + 3);
  buf.set(bytes, offset);
  return buf.subarray(offset, offset + bytes.length);
};

describe("compareBytes", () => {
  it("orders as byte-by-byte comparison does, aligned or not, long or short", () => {
    const { seed, numRuns } = runConfig({}, 1000);
    console.log(`[yjs compareBytes] seed ${seed}, ${numRuns} runs; replay with CONVERGE_SEED=${seed}`);
    const pair = fc.uint8Array({ minLength: 0, maxLength: 300 }).chain((a) =>
      fc.record({
        a: fc.constant(a),
        // Mostly a copy with a change at some position (equal prefixes are the hard case).
        b: fc.oneof(
          fc.constant(a.slice()),
          fc.tuple(fc.nat(Math.max(0, a.length - 1)), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
            const b = a.slice();
            if (b.length > 0) b[i] = v;
            return b;
          }),
          fc.nat(a.length).map((n) => a.slice(0, n)),
          fc.uint8Array({ maxLength: 300 }),
        ),
        offsetA: fc.nat(7),
        offsetB: fc.nat(7),
      }),
    );
    fc.assert(
      fc.property(pair, ({ a, b, offsetA, offsetB }) => {
        const x = placed(a, offsetA);
        const y = placed(b, offsetB);
        expect(Math.sign(compareBytes(x, y))).toBe(Math.sign(reference(a, b)));
        expect(Math.sign(compareBytes(y, x))).toBe(Math.sign(reference(b, a)));
      }),
      { seed, numRuns },
    );
  });
});
