import { createReplicatedMap, isConvergeError } from "@converge/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  createScriptEngine,
  isUnresolved,
  type ScriptEngine,
  type ScriptEngineName,
  type ScriptFailure,
  scriptResolver,
} from "../src/index.ts";

// Small limits keep the suite fast; the same attacks run on both engines.
const engines: Record<ScriptEngineName, ScriptEngine> = {
  quickjs: createScriptEngine({
    engine: "quickjs",
    fuel: 100,
    applyFuel: 3000,
    memoryMb: 32,
    maxOutputBytes: 64 * 1024,
  }),
  "isolated-vm": createScriptEngine({
    engine: "isolated-vm",
    timeoutMs: 50,
    applyTimeoutMs: 1500,
    memoryMb: 32,
    maxOutputBytes: 64 * 1024,
  }),
};
afterAll(() => {
  for (const e of Object.values(engines)) e.dispose();
});

/** Time the host may be blocked by one attack (a crash restarts the engine process), ms. */
const RESPONSIVE_MS = 15_000;
/** Growth of the host's resident memory one attack may cause, bytes. */
const MEMORY_BOUND = 256 * 1024 * 1024;

const clock = { now: () => 1_764_000_000_000 };
const valueA = { n: 1, tags: ["x"] };
const valueB = { n: 2, tags: ["y"] };

/**
 * "k" in conflict on replicas with different histories: `a` reads it in one batch with other
 * conflicting keys (the apply's batch), `c` holds only "k" and reads it alone. Returns both reads,
 * the failures, and whether each read left the state bytes as they were.
 */
function conflictUnder(engine: ScriptEngine, source: string) {
  const failures: ScriptFailure[] = [];
  const resolver = scriptResolver({ source, engine, onFailure: (f) => failures.push(f) });
  const make = (node: string) =>
    createReplicatedMap({ resolvers: { default: resolver }, clockOptions: { node, ...clock } });
  const a = make("000000000000000a");
  const b = make("000000000000000b");
  for (let i = 0; i < 5; i++) {
    a.set(`other${i}`, { n: i, tags: [] });
    b.set(`other${i}`, { n: 10 + i, tags: [] });
  }
  a.set("k", valueA);
  b.set("k", valueB);
  a.applyState(b.encodeState());
  const c1 = make("000000000000000a");
  const c2 = make("000000000000000b");
  c1.set("k", valueA);
  c2.set("k", valueB);
  c2.applyState(c1.encodeState());
  const read = (m: ReturnType<typeof make>) => {
    const before = Buffer.from(m.encodeState()).toString("hex");
    const value = m.get("k");
    return { value, unchanged: Buffer.from(m.encodeState()).toString("hex") === before };
  };
  return { batched: read(a), alone: read(c2), failures };
}

const outcome = (v: unknown): unknown => (isUnresolved(v) ? `Unresolved:${v.error.code}` : v);

/** Runs `attack` and checks the host stayed responsive and its memory bounded. */
async function contained<T>(attack: () => T): Promise<T> {
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  const fired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), 0));
  const result = attack();
  expect((await fired) - t0).toBeLessThan(RESPONSIVE_MS);
  expect(process.memoryUsage().rss - rss).toBeLessThan(MEMORY_BOUND);
  return result;
}

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

// Scripts that try to make reads depend on history, batching or the host: every replica must read
// the same value, whichever path its key took.
const divergence: readonly [name: string, source: string][] = [
  [
    "keeps a counter on an instance-only intrinsic",
    "function resolve(v) { const p = Object.getPrototypeOf([].values()); try { p.n = (p.n || 0) + 1; } catch {} return p.n || 0; }",
  ],
  [
    "keeps a counter on the iterator prototype",
    "function resolve(v) { const p = Object.getPrototypeOf(Object.getPrototypeOf([].values())); try { p.n = (p.n || 0) + 1; } catch {} return p.n || 0; }",
  ],
  ["keeps a top-level counter", "let calls = 0; function resolve(v) { calls++; return calls; }"],
  [
    "counts on its own function",
    "function merge(a, b) { merge.calls = (merge.calls || 0) + 1; return merge.calls; }",
  ],
  ["reads its stack (the batch path)", "function resolve(v) { return String(new Error('x').stack); }"],
  [
    "reads a caught error's stack",
    "function resolve(v) { try { null.x; } catch (e) { return String(e.stack); } }",
  ],
  [
    "reads RegExp legacy statics",
    "function resolve(v) { const seen = RegExp.$1; /(x)/.exec('x'); return seen === undefined ? 'clean' : 'leak:' + seen; }",
  ],
  ["uses Symbol.for", "function resolve(v) { return Symbol.keyFor(Symbol.for('converge')) ?? null; }"],
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

    it.each(divergence)(
      "reads agree across histories when a script %s",
      async (_name, source) => {
        const { batched, alone } = await contained(() => conflictUnder(engine, source));
        expect(batched.unchanged && alone.unchanged).toBe(true);
        expect(outcome(alone.value)).toEqual(outcome(batched.value));
        // Read again on a replica that already resolved other keys: still the same.
        expect(outcome(conflictUnder(engine, source).alone.value)).toEqual(outcome(batched.value));
      },
      60_000,
    );

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

describe("QuickJS reads do not depend on the host's stack", () => {
  it("recursion depth is the same at any host stack depth", () => {
    const engine = engines.quickjs;
    const source =
      "function resolve(v) { let d = 0; const g = (n) => { d = n; g(n + 1); }; try { g(0); } catch {} return d; }";
    const top = outcome(conflictUnder(engine, source).alone.value);
    const deep = (n: number): unknown =>
      n === 0 ? outcome(conflictUnder(engine, source).alone.value) : deep(n - 1);
    expect(typeof top).toBe("number");
    expect(deep(2000)).toEqual(top);
  });

  it("a resolution cut off by fuel is cut off at the same point, in a batch or alone", () => {
    const engine = createScriptEngine({ engine: "quickjs", fuel: 100, applyFuel: 1e6, applyTimeoutMs: 1e6 });
    // Work that grows with the value: near the limit for some keys, past it for others.
    const h = engine.load(
      "function resolve(v) { let s = 0; for (let i = 0; i < v[0] * 20000; i++) s += i; return s; }",
    );
    const lists = Array.from({ length: 60 }, (_, i) => [i, 0]);
    const batched = h.run("resolve", lists).map((r) => (r.ok ? r.value : r.error.code));
    const alone = lists.map((l) => {
      const [r] = h.run("resolve", [l]);
      return r?.ok ? r.value : r?.error.code;
    });
    const shuffled = [...lists].reverse();
    const reversed = h
      .run("resolve", shuffled)
      .map((r) => (r.ok ? r.value : r.error.code))
      .reverse();
    expect(alone).toEqual(batched);
    expect(reversed).toEqual(batched);
    expect(batched).toContain("SCRIPT_OUT_OF_FUEL");
    expect(batched.some((x) => typeof x === "number")).toBe(true);
    engine.dispose();
  }, 60_000);
});
