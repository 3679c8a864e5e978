import { describe, expect, it } from "vitest";
import type { ScriptEngine, ScriptEngineName } from "../src/index.ts";

import { conflictUnder, contained, engines, outcome } from "./attack-kit.ts";

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
  // Scripts that look stateless (only functions at the top) but would keep state in one shared
  // instance: each must get a fresh instance per resolution (see statelessScript).
  [
    "counts on a helper's prototype through new",
    "function H() {} function merge(a, b) { const p = Object.getPrototypeOf(new H()); p.n = (p.n || 0) + 1; return p.n; }",
  ],
  [
    "counts on a generator's prototype",
    "function* g() {} function merge(a, b) { const p = Object.getPrototypeOf(g()); p.n = (p.n || 0) + 1; return p.n; }",
  ],
  [
    "reassigns a helper through a direct eval",
    'function h() { return 0; } function merge(a, b) { eval("h = ((n) => () => ++n)(h())"); return h(); }',
  ],
  [
    "counts on a helper read as a value",
    "function h() {} function merge(a, b) { const f = [h][0]; f.n = (f.n || 0) + 1; return f.n; }",
  ],
  [
    "counts on itself under an escaped name",
    "function merge(a, b) { \\u006derge.n = (merge.n || 0) + 1; return merge.n; }",
  ],
  [
    "hides a count behind a keyword property divided",
    "function merge(a, b) { const o = { return: 4 }; const x = o.return / 2; merge.n = (merge.n || 0) + x / 2; return merge.n; }",
  ],
  [
    "hides a count behind a regular expression after a parenthesis",
    "function merge(a, b) { if (a) /'/.test(''); merge.n = (merge.n || 0) + 1; return merge.n; }",
  ],
  // The script's own template literal: "$" and "{" apart in this file's text, together in the script.
  [
    "counts in a template substitution",
    "function merge(a, b) { return `$" + "{merge.n = (merge.n || 0) + 1}`; }",
  ],
];

for (const [name, engine] of Object.entries(engines) as [ScriptEngineName, ScriptEngine][]) {
  describe(`attack suite on ${name}: every hostile or buggy script is contained`, () => {
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
  });
}
