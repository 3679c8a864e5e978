import type { JsonValue } from "@converge/script";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXIT, SchemaError, schemaArbitrary, verifyScript } from "../src/index.ts";
import { failing, run, script, seed } from "./hardening-kit.ts";

describe("values schemas", () => {
  const bad: [string, JsonValue, RegExp][] = [
    ["min > max", { type: "integer", min: 5, max: 1 }, /min \(5\) is greater than max \(1\)/],
    ["an empty oneOf", { oneOf: [] }, /oneOf must be a non-empty array/],
    ["a negative maxLength", { type: "string", maxLength: -1 }, /maxLength must be an integer/],
    ["an empty enum", { enum: [] }, /enum must be a non-empty array/],
    [
      "a nested unknown form",
      { type: "array", items: { oneOf: [{ type: "wat" }] } },
      /values\.items\.oneOf\[0\]/,
    ],
    ["a fractional integer bound", { type: "integer", max: 1.5 }, /safe integer/],
  ];
  it.each(bad)(
    "%s is exit 2 with a message, never an uncaught error",
    (_what, schema, message) => {
      expect(() => schemaArbitrary(schema)).toThrow(SchemaError);
      const file = script(
        `export const values = ${JSON.stringify(schema)};\nexport function merge(a, b) { return a; }\n`,
      );
      const r = run("verify", file, "--runs", "5");
      expect(r.status).toBe(EXIT.cannotLoad);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    },
    60_000,
  );

  it("an unbounded integer ranges over the safe integers (and catches a merge wrong above 2^40)", async () => {
    const sample = fc.sample(schemaArbitrary({ type: "integer" }), { seed, numRuns: 500 });
    expect(sample.every((x) => Number.isSafeInteger(x))).toBe(true);
    expect(sample.some((x) => Math.abs(x as number) > 2 ** 32)).toBe(true);
    const report = await verifyScript(
      "big.js",
      `export const values = { type: "integer" };\nexport function merge(a, b) { return a > 2 ** 40 ? a : Math.max(a, b); }\n`,
      { seed, runs: 200 },
    );
    expect(failing(report)).toContain("commutative");
  }, 60_000);
});
