import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Reader, Writer } from "../src/codec.ts";
import { compareValues, isConvergeError, toValue, type Value } from "../src/index.ts";
import { readValue, writeValue } from "../src/value.ts";
import { valueArb } from "./fixtures.ts";

const limits = { maxStringBytes: 1 << 20 };

function roundTrip(v: Value): Value {
  const w = new Writer();
  writeValue(w, v);
  const r = new Reader(w.finish());
  const out = readValue(r, limits);
  r.done();
  return out;
}

describe("values", () => {
  it("round-trip through the codec, equal under compareValues", () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const back = roundTrip(v);
        expect(compareValues(back, v)).toBe(0);
        expect(back).toEqual(v);
      }),
    );
  });

  it("compareValues is a total order consistent with the encoding", () => {
    fc.assert(
      fc.property(valueArb, valueArb, valueArb, (a, b, c) => {
        expect(compareValues(a, b) + compareValues(b, a)).toBe(0);
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0)
          expect(compareValues(a, c)).toBeLessThanOrEqual(0);
        const wa = new Writer();
        writeValue(wa, a);
        const wb = new Writer();
        writeValue(wb, b);
        const sameBytes = Buffer.from(wa.finish()).equals(Buffer.from(wb.finish()));
        expect(compareValues(a, b) === 0).toBe(sameBytes);
      }),
    );
  });

  it("keeps -0 distinct from 0", () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(compareValues(-0, 0)).toBe(-1);
  });

  it("toValue freezes deeply and refuses what is not storable", () => {
    const v = toValue({ a: [1, { b: "x" }] }) as { a: [number, { b: string }] };
    expect(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a[1])).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    for (const bad of [
      undefined,
      () => 1,
      Symbol("s"),
      10n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(0),
      new Map(),
      "\ud800",
      cyclic,
    ]) {
      let error: unknown;
      try {
        toValue(bad);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "INVALID_VALUE"), String(bad)).toBe(true);
    }
  });

  it("decodes a __proto__ key as data without touching the prototype", () => {
    const w = new Writer();
    w.byte(7); // object
    w.uint(1);
    w.string("__proto__");
    w.byte(2); // true
    const r = new Reader(w.finish());
    const v = readValue(r, limits) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("refuses unknown tags, non-finite floats, duplicate keys and deep nesting", () => {
    const bad: number[][] = [
      [42],
      [4, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], // +Infinity
      [7, 2, 1, 97, 0, 1, 97, 0], // {"a": null, "a": null}
      Array.from({ length: 70 }, () => [6, 1]).flat(), // arrays nested 70 deep
    ];
    for (const bytes of bad) {
      let error: unknown;
      try {
        readValue(new Reader(new Uint8Array(bytes)), limits);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error), JSON.stringify(bytes)).toBe(true);
    }
  });
});
