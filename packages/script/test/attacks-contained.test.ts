import { isConvergeError } from "@converge/core";
import { describe, expect, it } from "vitest";
import { isUnresolved, type ScriptEngine, type ScriptEngineName } from "../src/index.ts";

import { conflictUnder, contained, engines, outcome, valueB } from "./attack-kit.ts";

// Each attack, and the error codes it must be contained with on QuickJS and on isolated-vm.
type Attack = readonly [name: string, source: string, quickjs: string, ivm: string];
const attacks: readonly Attack[] = [
  ["loops forever", "function resolve(v) { for (;;) {} }", "SCRIPT_OUT_OF_FUEL", "SCRIPT_TIMEOUT"],
  [
    "allocates without bound",
    "function resolve(v) { const a = []; for (;;) a.push(new Array(1e6).fill(0)); }",
    "SCRIPT_OUT_OF_FUEL|SCRIPT_OUT_OF_MEMORY",
    "SCRIPT_OUT_OF_MEMORY|SCRIPT_TIMEOUT|SCRIPT_CRASHED",
  ],
  [
    "allocates buffers without bound",
    "function resolve(v) { const a = []; for (;;) a.push(new Float64Array(1 << 20)); }",
    "SCRIPT_OUT_OF_MEMORY|SCRIPT_OUT_OF_FUEL",
    "SCRIPT_OUT_OF_MEMORY|SCRIPT_TIMEOUT|SCRIPT_CRASHED",
  ],
  [
    "fails 100 MiB allocations in a loop",
    "function resolve(v) { for (;;) { try { new ArrayBuffer(100 * 2 ** 20); } catch {} } }",
    "SCRIPT_OUT_OF_FUEL",
    "SCRIPT_TIMEOUT|SCRIPT_OUT_OF_MEMORY|SCRIPT_CRASHED",
  ],
  [
    "kills V8 with an invalid size",
    'function resolve(v) { return "x".repeat(2 ** 28).split("").length; }',
    "SCRIPT_OUT_OF_FUEL",
    "SCRIPT_OUT_OF_FUEL|SCRIPT_CRASHED",
  ],
  [
    "hangs in native includes",
    "function resolve(v) { return [].includes.call({ length: 2 ** 53 - 1 }, v[0]); }",
    "SCRIPT_OUT_OF_FUEL",
    "SCRIPT_OUT_OF_FUEL",
  ],
  [
    "hangs in native sort",
    "function resolve(v) { return new Array(2 ** 32 - 1).sort().length; }",
    "SCRIPT_OUT_OF_FUEL",
    "SCRIPT_OUT_OF_FUEL",
  ],
  [
    "recurses deeply",
    "function resolve(v) { const f = (n) => f(n + 1) + 1; return f(0); }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "throws an error whose stack getter never returns",
    'function resolve(v) { const e = new Error("x"); Object.defineProperty(e, "stack", { get() { for (;;) {} } }); throw e; }',
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "throws an error whose message getter never returns",
    'function resolve(v) { const e = {}; Object.defineProperty(e, "message", { get() { for (;;) {} } }); throw e; }',
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "throws a 16 MiB message",
    'function resolve(v) { throw new Error("x".repeat(2 ** 20) + "y".repeat(2 ** 20)); }',
    "SCRIPT_THREW|SCRIPT_OUT_OF_FUEL",
    "SCRIPT_THREW|SCRIPT_OUT_OF_FUEL",
  ],
  [
    "hijacks the array iterator",
    "function resolve(v) { Object.getPrototypeOf([].values()).next = function () { return { done: true }; }; return 1; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "writes to the generator prototype",
    "function resolve(v) { Object.getPrototypeOf(function* () {}).prototype.x = 1; return 1; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "writes to the typed-array prototype",
    "function resolve(v) { Object.getPrototypeOf(Int8Array.prototype).x = 1; return 1; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "writes to the RegExp string iterator prototype",
    'function resolve(v) { Object.getPrototypeOf("a".matchAll(/a/g)).x = 1; return 1; }',
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  ["reaches for process", "function resolve(v) { return process.env; }", "SCRIPT_THREW", "SCRIPT_THREW"],
  [
    "reaches for require",
    "function resolve(v) { return require('fs').readFileSync('/etc/passwd', 'utf8'); }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "reaches for dynamic import",
    "function resolve(v) { return import('node:fs'); }",
    "SCRIPT_NON_JSON|SCRIPT_THREW",
    "SCRIPT_NON_JSON|SCRIPT_THREW",
  ],
  [
    "reads the clock",
    "function resolve(v) { return Date.now(); }",
    "SCRIPT_NONDETERMINISM",
    "SCRIPT_NONDETERMINISM",
  ],
  [
    "constructs a date",
    "function resolve(v) { return String(new Date()); }",
    "SCRIPT_NONDETERMINISM",
    "SCRIPT_NONDETERMINISM",
  ],
  [
    "reads randomness",
    "function resolve(v) { return Math.random(); }",
    "SCRIPT_NONDETERMINISM",
    "SCRIPT_NONDETERMINISM",
  ],
  [
    "uses the locale",
    "function resolve(v) { return 'a'.localeCompare('b'); }",
    "SCRIPT_NONDETERMINISM",
    "SCRIPT_NONDETERMINISM",
  ],
  ["reads performance", "function resolve(v) { return performance.now(); }", "SCRIPT_THREW", "SCRIPT_THREW"],
  [
    "uses Intl",
    "function resolve(v) { return new Intl.NumberFormat().format(1); }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "uses WebAssembly",
    "function resolve(v) { return typeof WebAssembly.Module; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  [
    "uses SharedArrayBuffer",
    "function resolve(v) { return new SharedArrayBuffer(8).byteLength; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  ["mutates its input", "function resolve(v) { v[0].n = 99; return v[0]; }", "SCRIPT_THREW", "SCRIPT_THREW"],
  [
    "pollutes a prototype",
    "function resolve(v) { Object.prototype.polluted = 1; return 1; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
  ["adds a global", "function resolve(v) { globalThis.leak = 1; return 1; }", "SCRIPT_THREW", "SCRIPT_THREW"],
  ["returns a function", "function resolve(v) { return () => 1; }", "SCRIPT_NON_JSON", "SCRIPT_NON_JSON"],
  ["returns a symbol", "function resolve(v) { return Symbol('s'); }", "SCRIPT_NON_JSON", "SCRIPT_NON_JSON"],
  ["returns undefined", "function resolve(v) { }", "SCRIPT_NON_JSON", "SCRIPT_NON_JSON"],
  [
    "returns a cycle",
    "function resolve(v) { const o = {}; o.self = o; return o; }",
    "SCRIPT_NON_JSON",
    "SCRIPT_NON_JSON",
  ],
  ["returns NaN", "function resolve(v) { return NaN; }", "SCRIPT_NON_JSON", "SCRIPT_NON_JSON"],
  [
    "returns a class instance",
    "function resolve(v) { return new Map(); }",
    "SCRIPT_NON_JSON",
    "SCRIPT_NON_JSON",
  ],
  [
    "returns a huge value",
    "function resolve(v) { return 'x'.repeat(1e5); }",
    "SCRIPT_RESULT_TOO_LARGE",
    "SCRIPT_RESULT_TOO_LARGE",
  ],
  ["throws a non-Error", "function resolve(v) { throw 42; }", "SCRIPT_THREW", "SCRIPT_THREW"],
  [
    "throws an object with a hostile toString",
    "function resolve(v) { throw { toString() { for(;;){} } }; }",
    "SCRIPT_THREW",
    "SCRIPT_THREW",
  ],
];

for (const [name, engine] of Object.entries(engines) as [ScriptEngineName, ScriptEngine][]) {
  describe(`attack suite on ${name}: every hostile or buggy script is contained`, () => {
    it.each(attacks)(
      "%s",
      async (_name, source, quickjs, ivm) => {
        const codes = (name === "quickjs" ? quickjs : ivm).split("|");
        const { batched, alone, failures } = await contained(() => conflictUnder(engine, source));
        for (const read of [batched, alone]) {
          expect(isUnresolved(read.value)).toBe(true);
          if (!isUnresolved(read.value)) return;
          expect(codes).toContain(read.value.error.code);
          expect(isConvergeError(read.value.error, read.value.error.code)).toBe(true);
          expect(read.value.error.message.length).toBeLessThanOrEqual(500);
          expect(read.value.error.message).not.toMatch(/\u2063/);
          expect(read.value.values).toHaveLength(2);
          // A failed read never touches state.
          expect(read.unchanged).toBe(true);
        }
        if (name === "quickjs") expect(outcome(alone.value)).toEqual(outcome(batched.value));
        expect(failures.length).toBeGreaterThan(0);
        // The host still serves: the same engine resolves a lawful script right after.
        const ok = conflictUnder(engine, "function merge(a, b) { return a.n >= b.n ? a : b; }");
        expect(ok.batched.value).toEqual(valueB);
      },
      60_000,
    );
  });
}
