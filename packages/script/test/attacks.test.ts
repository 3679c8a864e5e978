import { createReplicatedMap, isConvergeError } from "@converge/core";
import { afterAll, describe, expect, it } from "vitest";
import { createScriptEngine, isUnresolved, type ScriptFailure, scriptResolver } from "../src/index.ts";

const engine = createScriptEngine({ timeoutMs: 50, memoryMb: 32, maxOutputBytes: 64 * 1024 });
afterAll(() => engine.dispose());

/** Two replicas write concurrently to "k" under `source`; returns the read, the failures, and state bytes before/after the read. */
function conflictUnder(source: string) {
  const failures: ScriptFailure[] = [];
  const resolver = scriptResolver({ source, engine, onFailure: (f) => failures.push(f) });
  const make = (node: string) =>
    createReplicatedMap({
      resolvers: { default: resolver },
      clockOptions: { node, now: () => 1_764_000_000_000 },
    });
  const a = make("000000000000000a");
  const b = make("000000000000000b");
  a.set("k", { n: 1, tags: ["x"] });
  b.set("k", { n: 2, tags: ["y"] });
  a.applyState(b.encodeState());
  const before = Buffer.from(a.encodeState()).toString("hex");
  const value = a.get("k");
  const after = Buffer.from(a.encodeState()).toString("hex");
  return { value, failures, before, after, a };
}

// Each attack, and the error code it must be contained with.
const attacks: [string, string, string][] = [
  ["loops forever", "function resolve(v) { for (;;) {} }", "SCRIPT_TIMEOUT"],
  [
    "allocates without bound",
    "function resolve(v) { const a = []; for (;;) a.push(new Array(1e6).fill(0)); }",
    // Near the heap limit V8 collects garbage again and again: the CPU limit may strike first.
    "SCRIPT_OUT_OF_MEMORY|SCRIPT_TIMEOUT",
  ],
  [
    "allocates buffers without bound",
    "function resolve(v) { const a = []; for (;;) a.push(new Float64Array(1 << 20)); }",
    // Which limit strikes first depends on the machine's speed and load.
    "SCRIPT_OUT_OF_MEMORY|SCRIPT_TIMEOUT",
  ],
  ["recurses deeply", "function resolve(v) { const f = (n) => f(n + 1) + 1; return f(0); }", "SCRIPT_THREW"],
  ["reaches for process", "function resolve(v) { return process.env; }", "SCRIPT_THREW"],
  [
    "reaches for require",
    "function resolve(v) { return require('fs').readFileSync('/etc/passwd', 'utf8'); }",
    "SCRIPT_THREW",
  ],
  ["reaches for dynamic import", "function resolve(v) { return import('node:fs'); }", "SCRIPT_THREW"],
  ["reads the clock", "function resolve(v) { return Date.now(); }", "SCRIPT_NONDETERMINISM"],
  ["constructs a date", "function resolve(v) { return String(new Date()); }", "SCRIPT_NONDETERMINISM"],
  ["reads randomness", "function resolve(v) { return Math.random(); }", "SCRIPT_NONDETERMINISM"],
  ["uses the locale", "function resolve(v) { return 'a'.localeCompare('b'); }", "SCRIPT_NONDETERMINISM"],
  ["reads performance", "function resolve(v) { return performance.now(); }", "SCRIPT_THREW"],
  ["uses Intl", "function resolve(v) { return new Intl.NumberFormat().format(1); }", "SCRIPT_THREW"],
  ["uses WebAssembly", "function resolve(v) { return typeof WebAssembly.Module; }", "SCRIPT_THREW"],
  [
    "uses SharedArrayBuffer",
    "function resolve(v) { return new SharedArrayBuffer(8).byteLength; }",
    "SCRIPT_THREW",
  ],
  ["mutates its input", "function resolve(v) { v[0].n = 99; return v[0]; }", "SCRIPT_THREW"],
  [
    "pollutes a prototype",
    "function resolve(v) { Object.prototype.polluted = 1; return 1; }",
    "SCRIPT_THREW",
  ],
  ["adds a global", "function resolve(v) { globalThis.leak = 1; return 1; }", "SCRIPT_THREW"],
  ["returns a function", "function resolve(v) { return () => 1; }", "SCRIPT_NON_JSON"],
  ["returns a symbol", "function resolve(v) { return Symbol('s'); }", "SCRIPT_NON_JSON"],
  ["returns undefined", "function resolve(v) { }", "SCRIPT_NON_JSON"],
  ["returns a cycle", "function resolve(v) { const o = {}; o.self = o; return o; }", "SCRIPT_NON_JSON"],
  ["returns NaN", "function resolve(v) { return NaN; }", "SCRIPT_NON_JSON"],
  ["returns a class instance", "function resolve(v) { return new Map(); }", "SCRIPT_NON_JSON"],
  ["returns a huge value", "function resolve(v) { return 'x'.repeat(1e6); }", "SCRIPT_RESULT_TOO_LARGE"],
  ["throws a non-Error", "function resolve(v) { throw 42; }", "SCRIPT_THREW"],
  [
    "throws an object with a hostile toString",
    "function resolve(v) { throw { toString() { for(;;){} } }; }",
    "SCRIPT_TIMEOUT",
  ],
];

describe("attack suite: every hostile or buggy script is contained", () => {
  it.each(attacks)("%s → %s", (_name, source, code) => {
    const { value, failures, before, after } = conflictUnder(source);
    expect(isUnresolved(value)).toBe(true);
    if (!isUnresolved(value)) return;
    expect(code.split("|")).toContain(value.error.code);
    expect(isConvergeError(value.error, value.error.code)).toBe(true);
    expect(value.values).toHaveLength(2);
    expect(failures.length).toBeGreaterThan(0);
    // The replica is unchanged: a failed read never touches state.
    expect(after).toBe(before);
    // The host still serves: the same engine resolves a lawful script right after.
    const ok = conflictUnder("function merge(a, b) { return a.n >= b.n ? a : b; }");
    expect(ok.value).toEqual({ n: 2, tags: ["y"] });
  });

  it("keeps no state from one call to the next", () => {
    const counter = "let calls = 0; function resolve(v) { calls++; return calls; }";
    const first = conflictUnder(counter).value;
    const second = conflictUnder(counter).value;
    expect(first).toBe(1);
    expect(second).toBe(1);
    // RegExp's legacy statics cannot carry a match over either.
    const spy =
      "function resolve(v) { const seen = RegExp.$1; /(x)/.exec('x'); return seen === undefined ? 'clean' : 'leak:' + seen; }";
    expect(conflictUnder(spy).value).toBe("clean");
    expect(conflictUnder(spy).value).toBe("clean");
  });

  it("refuses scripts that cannot load, with SCRIPT_LOAD", () => {
    for (const source of [
      "function resolve(v) {",
      "import fs from 'node:fs'; function resolve(v) { return 1; }",
      "const x = 1;",
      "throw new Error('boom at load');",
      "for (;;) {}",
    ]) {
      let error: unknown;
      try {
        scriptResolver({ source, engine });
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "SCRIPT_LOAD"), `${source}: ${String(error)}`).toBe(true);
    }
  });
});
