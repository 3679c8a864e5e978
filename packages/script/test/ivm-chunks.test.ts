import { describe, expect, it } from "vitest";
import { createScriptEngine, type JsonValue, type ScriptResult } from "../src/index.ts";

const read = (r: ScriptResult): unknown => (r.ok ? r.value : r.error.code);

// The supervised isolated-vm engine's child runs a packed run one batchSize slice at a time,
// writing numbers straight into the reply and shifting each slice's extra rows to their keys.
describe("supervised isolated-vm, a run longer than one batch", () => {
  it("ties every row to its key across slices: numbers, JSON rows, failures", () => {
    const engine = createScriptEngine({ engine: "isolated-vm", batchSize: 8 });
    try {
      const h = engine.load(
        "function merge(a, b) { if (b % 5 === 0) return { a, b }; if (b % 7 === 0) throw new Error('seven ' + b); return a * 100 + b; }",
      );
      const lists: JsonValue[][] = Array.from({ length: 45 }, (_, i) => [i, i + 1]);
      const expected = lists.map(([a, b]) => {
        const x = a as number;
        const y = b as number;
        return y % 5 === 0 ? { a: x, b: y } : y % 7 === 0 ? "SCRIPT_THREW" : x * 100 + y;
      });
      expect(h.run("merge", lists).map(read)).toEqual(expected);
      // A message stays the key's own.
      const failed = h.run("merge", lists)[6] as ScriptResult;
      expect(failed.ok ? "" : failed.error.message).toContain("seven 7");
    } finally {
      engine.dispose();
    }
  }, 60_000);

  it("a slice that fails as a whole leaves the others' results and decides its own keys one by one", () => {
    const engine = createScriptEngine({ engine: "isolated-vm", batchSize: 8, timeoutMs: 30 });
    try {
      const h = engine.load("function merge(a, b) { if (b === 20) for (;;) {} return a + b; }");
      const lists: JsonValue[][] = Array.from({ length: 40 }, (_, i) => [i, i]);
      const out = h.run("merge", lists).map(read);
      expect(out[20]).toBe("SCRIPT_TIMEOUT");
      expect(out.filter((_, i) => i !== 20)).toEqual(
        lists.filter((_, i) => i !== 20).map(([a]) => 2 * (a as number)),
      );
    } finally {
      engine.dispose();
    }
  }, 60_000);
});
