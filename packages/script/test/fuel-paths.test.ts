import { describe, expect, it } from "vitest";
import { createScriptEngine, type JsonValue, type ScriptResult } from "../src/index.ts";

// Numbers enter and leave the QuickJS sandbox packed in typed arrays; anything else as JSON text.
// A resolution's fuel must not depend on which way its batch travelled.
const read = (r: ScriptResult | undefined): unknown =>
  r === undefined ? undefined : r.ok ? [r.value, r.fuel ?? 0] : [r.error.code, r.fuel ?? 0];

describe("QuickJS fuel, whichever way a batch travels", () => {
  it.each([
    [
      "resolve",
      "function resolve(v) { let s = 0; for (let i = 0; i < v[0] * 20000; i++) s += i; return s; }",
    ],
    [
      "merge",
      "function merge(a, b) { let s = 0; for (let i = 0; i < a * 20000; i++) s += i; return s + b; }",
    ],
  ] as const)(
    "%s: values, fuel and verdicts agree in a numeric batch, a JSON batch and alone",
    (kind, source) => {
      const engine = createScriptEngine({ engine: "quickjs", fuel: 30, applyFuel: 1e6, applyTimeoutMs: 1e6 });
      const h = engine.load(source);
      const lists: JsonValue[][] = Array.from({ length: 16 }, (_, i) => [i, 1]);
      const numeric = h.run(kind, lists).map(read);
      // One string among them sends the whole batch as JSON text; its own row reads apart.
      const mixed = h.run(kind, [...lists, ["x", 1]]).map(read);
      const alone = lists.map((l) => read(h.run(kind, [l])[0]));
      expect(mixed.slice(0, lists.length)).toEqual(numeric);
      expect(alone).toEqual(numeric);
      const codes = numeric.map((x) => (x as [unknown, number])[0]);
      expect(codes).toContain("SCRIPT_OUT_OF_FUEL");
      expect(codes.filter((c) => typeof c === "number").length).toBeGreaterThan(4);
      // Some resolutions report fuel (a unit or more), the heaviest near the limit of 30.
      const fuels = numeric.map((x) => (x as [unknown, number])[1]);
      expect(Math.max(...fuels)).toBeGreaterThan(15);
      engine.dispose();
    },
    60_000,
  );

  it("-0 goes in as 0 whichever way its batch travels (as JSON text has it)", () => {
    const engine = createScriptEngine({ engine: "quickjs" });
    const h = engine.load("function merge(a, b) { return Object.is(a, -0) ? 'minus zero' : a + b; }");
    const lists: JsonValue[][] = Array.from({ length: 8 }, () => [-0, 1]);
    expect(h.run("merge", lists).map(read)).toEqual(lists.map(() => [1, 0]));
    expect(
      h
        .run("merge", [...lists, ["x", 1]])
        .map(read)
        .slice(0, 8),
    ).toEqual(lists.map(() => [1, 0]));
    expect(read(h.run("merge", [[-0, 1]])[0])).toEqual([1, 0]);
    engine.dispose();
  });

  it("numbers come back exact: -0 as 0, non-finite results refused, other JSON as itself", () => {
    const engine = createScriptEngine({ engine: "quickjs" });
    const h = engine.load(
      "function merge(a, b) { return b === 1 ? -0 : b === 2 ? a / 0 : b === 3 ? { a } : b === 4 ? 0.1 + a : a * b; }",
    );
    const out = h.run("merge", [
      [5, 1],
      [5, 2],
      [5, 3],
      [5, 4],
      [5, 7],
      [2 ** 53, 2],
    ]);
    expect(out.map((r) => (r.ok ? r.value : r.error.code))).toEqual([
      0,
      "SCRIPT_NON_JSON",
      { a: 5 },
      5.1,
      35,
      "SCRIPT_NON_JSON",
    ]);
    expect(Object.is(out[0]?.ok === true ? out[0].value : undefined, 0)).toBe(true);
    engine.dispose();
  });
});

describe("QuickJS's batch loop, wherever a fuel tick falls", () => {
  // Regression (found while the loop was rewritten for revision 3): a tick on the branch between
  // a text row and the step past it left the row taken but the resolution to run again — the
  // host then read one row too many (SCRIPT_ROW_MISMATCH). A lone resolution of k loop steps
  // before each batch moves the runtime's tick phase by k, so over the batches the ticks fall on
  // every point of the loop; every key must read what the script says.
  it("loses no row and repeats none: every key reads its own result, numbers and text rows alike", () => {
    const engine = createScriptEngine({ engine: "quickjs", applyFuel: 1e6, applyTimeoutMs: 1e6 });
    const h = engine.load(
      "function merge(a, b) { if (a < 0) { let s = 0; for (let i = 0; i < -a; i++) s += i; return s; } return b % 3 === 0 ? 'x' + b : b % 3 === 1 ? { b } : b; }",
    );
    const expected = (b: number): JsonValue => (b % 3 === 0 ? `x${b}` : b % 3 === 1 ? { b } : b);
    const lists: JsonValue[][] = Array.from({ length: 1500 }, (_, i) => [1, i]);
    let ticks = 0;
    for (let k = 0; k < 40; k++) {
      expect(read(h.run("merge", [[-k - 1, 0]])[0])).toEqual([(k * (k + 1)) / 2, 0]);
      const out = h.run("merge", k % 2 === 0 ? lists : [...lists, ["s", 1]]);
      ticks += h.lastRun().fuel;
      out.slice(0, lists.length).forEach((r, i) => {
        expect(r.ok ? r.value : r.error.code, `key ${i} after a shift of ${k}`).toEqual(expected(i));
      });
    }
    // The batches did tick (else this proves nothing): a few times each.
    expect(ticks).toBeGreaterThan(80);
    engine.dispose();
  }, 60_000);
});
