import { createReplicatedMap, Reader, Writer } from "@converge/core";
import { lww, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";

/** Shrunk counterexamples that once found bugs, kept as named tests. */
describe("regressions", () => {
  it("a counter record of the minimal size (8 bytes) decodes — found by the merge-law property", () => {
    // Counterexample: [set lww:x; increment pn:y] in the same millisecond; the second time in the
    // payload is delta-coded to one byte, making the counter record exactly 8 bytes, which the
    // decoder's size guard (then 9) refused as truncated.
    const rules = { default: lww(), keys: { "pn:*": pncounter() } };
    const a = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: "0000000000000001", now: () => 1000 },
    });
    a.set("lww:x", 0);
    a.increment("pn:y", 1);
    const b = createReplicatedMap({
      resolvers: rules,
      clockOptions: { node: "0000000000000002", now: () => 1000 },
    });
    b.applyState(a.encodeState());
    expect(b.get("pn:y")).toBe(1);
  });

  it("integers near 2^52 keep their zigzag form exact — found by the codec round-trip property", () => {
    // Counterexample: 4503599627370496 (2^52): its zigzag form 2^53 exceeded the varint limit.
    for (const v of [2 ** 52 - 1, -(2 ** 52 - 1), 0, -1]) {
      const w = new Writer();
      w.int(v);
      expect(new Reader(w.finish()).int()).toBe(v);
    }
    expect(() => new Writer().int(2 ** 52)).toThrow(RangeError);
    const m = createReplicatedMap({
      resolvers: { default: lww() },
      clockOptions: { node: "0000000000000001" },
    });
    for (const v of [2 ** 52, -(2 ** 52), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      m.set("k", v);
      const copy = createReplicatedMap({
        resolvers: { default: lww() },
        clockOptions: { node: "0000000000000002" },
      });
      copy.applyState(m.encodeState());
      expect(copy.get("k")).toBe(v);
    }
  });

  it("lww() called twice is the same resolver, so rules may repeat it — found by the demo", () => {
    expect(lww()).toBe(lww());
    expect(() =>
      createReplicatedMap({ resolvers: { default: lww(), keys: { "price:*": lww<number>() } } }),
    ).not.toThrow();
  });
});
