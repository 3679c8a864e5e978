import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isConvergeError, type VersionVector, versionVector } from "../src/index.ts";

const replicas = ["000000000000000a", "000000000000000b", "000000000000000c"];
const vvArb: fc.Arbitrary<VersionVector> = fc
  .array(fc.tuple(fc.constantFrom(...replicas), fc.nat(5)), { maxLength: 4 })
  .map((pairs) => versionVector(pairs));

describe("VersionVector", () => {
  it("merge is commutative, associative, idempotent and an upper bound", () => {
    fc.assert(
      fc.property(vvArb, vvArb, vvArb, (a, b, c) => {
        expect(a.merge(b).toJSON()).toEqual(b.merge(a).toJSON());
        expect(a.merge(b).merge(c).toJSON()).toEqual(a.merge(b.merge(c)).toJSON());
        expect(a.merge(a).toJSON()).toEqual(a.toJSON());
        expect(a.merge(b).dominates(a)).toBe(true);
      }),
    );
  });

  it("compare is consistent: antisymmetric, and equal exactly when entries match", () => {
    const flip = { before: "after", after: "before", equal: "equal", concurrent: "concurrent" } as const;
    fc.assert(
      fc.property(vvArb, vvArb, (a, b) => {
        expect(b.compare(a)).toBe(flip[a.compare(b)]);
        expect(a.compare(b) === "equal").toBe(JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON()));
        if (a.compare(b) === "before") expect(a.merge(b).toJSON()).toEqual(b.toJSON());
      }),
    );
  });

  it("reports concurrency", () => {
    const [x, y] = replicas as [string, string];
    expect(versionVector({ [x]: 2 }).compare(versionVector({ [y]: 1 }))).toBe("concurrent");
    expect(versionVector({ [x]: 1 }).compare(versionVector({ [x]: 2, [y]: 1 }))).toBe("before");
    expect(versionVector({ [x]: 0 }).compare(versionVector())).toBe("equal");
  });

  it("with raises one entry and returns the same vector when nothing changes", () => {
    const [x] = replicas as [string];
    const v = versionVector({ [x]: 2 });
    expect(v.with(x, 5).get(x)).toBe(5);
    expect(v.with(x, 1)).toBe(v);
    expect(v.get(x)).toBe(2);
  });

  it("meet is the pointwise minimum", () => {
    const [x, y] = replicas as [string, string];
    expect(
      versionVector({ [x]: 3, [y]: 1 })
        .meet(versionVector({ [x]: 2 }))
        .toJSON(),
    ).toEqual({ [x]: 2 });
  });

  it("refuses malformed entries", () => {
    for (const bad of [{ nothex: 1 }, { "000000000000000a": -1 }, { "000000000000000a": 1.5 }]) {
      let error: unknown;
      try {
        versionVector(bad);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "INVALID_CONFIG")).toBe(true);
    }
  });
});
