import { createReplicatedMap, isConvergeError } from "@converge/core";
import { describe, expect, it } from "vitest";
import { isUnresolved, type ScriptEngine, type ScriptEngineName, scriptResolver } from "../src/index.ts";

import { clock, contained, engines } from "./attack-kit.ts";

for (const [name, engine] of Object.entries(engines) as [ScriptEngineName, ScriptEngine][]) {
  describe(`attack suite on ${name}: every hostile or buggy script is contained`, () => {
    it("refuses scripts that cannot load (break-outs of the wrapper included), with SCRIPT_LOAD", async () => {
      for (const source of [
        "function resolve(v) {",
        "}); let n = 0; (function () {",
        "function resolve(v) { return 1; } }); let n = 0; (function () {",
        "import fs from 'node:fs'; function resolve(v) { return 1; }",
        "return 1;",
        "const x = 1;",
        "throw new Error('boom at load');",
        'const e = new Error("x"); Object.defineProperty(e, "stack", { get() { for (;;) {} } }); throw e;',
        "for (;;) {}",
      ]) {
        let error: unknown;
        await contained(() => {
          try {
            scriptResolver({ source, engine });
          } catch (e) {
            error = e;
          }
        });
        expect(isConvergeError(error, "SCRIPT_LOAD"), `${source}: ${String(error)}`).toBe(true);
      }
    }, 60_000);

    it("loads a source of 40,000 blank lines quickly (the loader is linear)", () => {
      const t = performance.now();
      const r = scriptResolver({
        source: `${"\n".repeat(40_000)}export function merge(a, b) { return a; }`,
        engine,
      });
      expect(r.id).toMatch(/^script:/);
      expect(performance.now() - t).toBeLessThan(5_000);
    }, 30_000);

    it.each([
      ["function resolve(v) { for (;;) {} }"],
      ['function resolve(v) { let s = "x" + v[0]; for (;;) s += s; }'],
      ["function resolve(v) { const a = []; for (let i = 0; ; i++) a[i] = { i, s: 'x' + i }; }"],
    ])(
      "budgets an apply, not only a resolution: the rest is read later (%s)",
      async (source) => {
        const resolver = scriptResolver({ source, engine });
        const make = (node: string) =>
          createReplicatedMap({ resolvers: { default: resolver }, clockOptions: { node, ...clock } });
        const a = make("000000000000000a");
        const b = make("000000000000000b");
        for (let i = 0; i < 80; i++) {
          a.set(`k${i}`, i);
          b.set(`k${i}`, 1000 + i);
        }
        const t = performance.now();
        await contained(() => a.applyState(b.encodeState()));
        // 80 resolutions at their limit would take far longer than the apply's budget.
        expect(performance.now() - t).toBeLessThan(name === "quickjs" ? 10_000 : 8_000);
        const v = a.get("k79");
        // Out of fuel, time or memory, or a string too long: read later, and still a failure.
        expect(isUnresolved(v) ? v.error.code : v).toMatch(/^SCRIPT_/);
      },
      60_000,
    );
  });
}
