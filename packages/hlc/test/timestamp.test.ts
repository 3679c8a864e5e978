import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareTimestamps, isConvergeError, MAX_WALL, maxTimestamp, timestamp } from "../src/index.ts";
import { timestampArb } from "./arbitraries.ts";

describe("timestamp order", () => {
  it("is a total order: antisymmetric, transitive, equal only when all fields are equal", () => {
    fc.assert(
      fc.property(timestampArb, timestampArb, timestampArb, (a, b, c) => {
        expect(compareTimestamps(a, b) + compareTimestamps(b, a)).toBe(0);
        const same = a.wall === b.wall && a.counter === b.counter && a.node === b.node;
        expect(compareTimestamps(a, b) === 0).toBe(same);
        if (compareTimestamps(a, b) <= 0 && compareTimestamps(b, c) <= 0) {
          expect(compareTimestamps(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it("orders by wall, then counter, then node", () => {
    const n1 = "0000000000000001";
    const n2 = "0000000000000002";
    expect(compareTimestamps(timestamp(2, 0, n1), timestamp(1, 9, n2))).toBe(1);
    expect(compareTimestamps(timestamp(1, 2, n1), timestamp(1, 1, n2))).toBe(1);
    expect(compareTimestamps(timestamp(1, 1, n1), timestamp(1, 1, n2))).toBe(-1);
    expect(maxTimestamp(timestamp(1, 1, n1), timestamp(1, 1, n2)).node).toBe(n2);
  });

  it("refuses out-of-range fields with HLC_RANGE", () => {
    const node = "0000000000000001";
    for (const [w, c, n] of [
      [-1, 0, node],
      [MAX_WALL + 1, 0, node],
      [1.5, 0, node],
      [Number.NaN, 0, node],
      [0, 65536, node],
      [0, -1, node],
      [0, 0, "00000000000000001"],
      [0, 0, "000000000000000G"],
      [0, 0, "ABCDEF0000000000"],
    ] as const) {
      let caught: unknown;
      try {
        timestamp(w, c, n);
      } catch (e) {
        caught = e;
      }
      expect(isConvergeError(caught, "HLC_RANGE")).toBe(true);
    }
  });

  it("is immutable", () => {
    const t = timestamp(1, 2, "0000000000000003");
    expect(Object.isFrozen(t)).toBe(true);
  });
});
