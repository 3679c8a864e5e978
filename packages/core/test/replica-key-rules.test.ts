import { describe, expect, it } from "vitest";
import { isConvergeError } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { caught, hex, testLww, testMv } from "./fixtures.ts";

describe("key rules", () => {
  it("exact beats any pattern, the longest prefix wins, order of listing does not matter", () => {
    const one = compileKeyRules({ default: testLww, keys: { "a*": testMv, "ab*": testLww, abc: testMv } });
    const two = compileKeyRules({ default: testLww, keys: { abc: testMv, "ab*": testLww, "a*": testMv } });
    expect(one.resolverFor("abc")).toBe(testMv);
    expect(one.resolverFor("abd")).toBe(testLww);
    expect(one.resolverFor("ax")).toBe(testMv);
    expect(one.resolverFor("zzz")).toBe(testLww);
    expect(hex(one.fingerprint)).toBe(hex(two.fingerprint));
  });

  it("refuses a * inside a pattern and two resolvers sharing a name", () => {
    expect(
      isConvergeError(
        caught(() => compileKeyRules({ default: testLww, keys: { "a*b": testMv } })),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
    const twin = { ...testMv, id: testLww.id };
    expect(
      isConvergeError(
        caught(() => compileKeyRules({ default: testLww, keys: { x: twin } })),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
  });
});
