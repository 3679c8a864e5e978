import { describe, expect, it } from "vitest";
import { createScriptEngine, type JsonValue } from "../src/index.ts";
import { statelessScript } from "../src/stateless-script.ts";

const MAX = "function merge(a, b) { return Math.max(a, b); }";

// Scripts whose one instance may serve every resolution.
const stateless: readonly [name: string, source: string][] = [
  ["a single merge", MAX],
  ["a single resolve", "function resolve(values) { return values[0]; }"],
  [
    "both, with a directive",
    '"use strict";\nfunction merge(a, b) { return a; }\nfunction resolve(v) { return v[0]; }',
  ],
  [
    "helpers called by name, constants",
    "const LIMIT = 10, NAME = 'x', NEG = -1.5e-3, ON = true, NONE = null;\nfunction clamp(x) { return x > LIMIT ? LIMIT : x; }\nfunction merge(a, b) { return clamp(a + b) + NEG; }",
  ],
  [
    "recursion",
    "function f(n) { return n <= 0 ? 0 : f(n - 1) + 1; }\nfunction merge(a, b) { return f(3) + a; }",
  ],
  [
    "comments, strings and templates with anything in them",
    // The script's own template literals: "$" and "{" apart in this file's text, together in the script.
    "// é — merge.n = 1\n/* merge = 2; ü */ function merge(a, b) { const s = 'merge.n = \"3\" é'; const t = `$" +
      "{a} and $" +
      "{`$" +
      "{b}`} merge = 4`; return s.length + t.length; }",
  ],
  [
    "regular expressions where only a regex can be",
    "function merge(a, b) { const r = /[/'\"`]merge\\/x/g; return r.test(String(a)) ? a : (b, /'/).source.length; }",
  ],
  [
    "property names that match a function's name",
    "function merge(a, b) { const o = { merge(x) { return x; } }; return o.merge(a) + o?.merge(b) + [1].length; }",
  ],
  [
    "local functions and objects",
    "function merge(a, b) { const seen = {}; function add(x) { seen[x] = 1; } add(a); add(b); return Object.keys(seen).length; }",
  ],
  [
    "division after a name, a number and a bracket",
    "function merge(a, b) { const c = [a]; return a / 2 + 4 / 2 + c[0] / 1; }",
  ],
];

// Scripts that must get a fresh instance per resolution: state could survive, or the scan
// cannot be sure it reads the text as the engine does.
const stateful: readonly [name: string, source: string][] = [
  ["a top-level let", `let n = 0; ${MAX}`],
  ["a top-level var", `var n = 0; ${MAX}`],
  ["a top-level object constant", `const cache = {}; ${MAX}`],
  ["a constant bound to a call", `const m = Math.max; ${MAX}`],
  ["a class", `class C {} ${MAX}`],
  ["a generator", `function* g() {} ${MAX}`],
  ["an async function", `async function g() {} ${MAX}`],
  ["a top-level expression", `${MAX}\nmerge.n = 0;`],
  ["a property on itself", "function merge(a, b) { merge.n = (merge.n || 0) + 1; return a; }"],
  ["itself as a value", "function merge(a, b) { return [merge].length; }"],
  ["a helper with new", "function H() {} function merge(a, b) { return new H() && a; }"],
  ["a helper assigned", "function h() {} function merge(a, b) { h = null; return a; }"],
  ["a helper's optional call", "function h() {} function merge(a, b) { return h?.() ?? a; }"],
  ["a helper as a tag", "function h(s) { return s; } function merge(a, b) { return h`x`; }"],
  ["a direct eval", "function merge(a, b) { return eval('a'); }"],
  ["arguments", "function merge(a, b) { return arguments[0]; }"],
  ["an escaped identifier", "function merge(a, b) { return \\u0061; }"],
  ["a non-ASCII identifier", "function merge(a, b) { const ä = a; return ä; }"],
  ["an HTML-like comment", "function merge(a, b) { return a <!-- b\n; }"],
  ["a slash after a parenthesis", "function merge(a, b) { if (a) /x/.test(''); return a; }"],
  ["a slash after a brace", "function merge(a, b) { {}\n/x/.test(''); return a; }"],
  [
    "a slash after a keyword property",
    "function merge(a, b) { const o = { return: 2 }; return o.return / 2; }",
  ],
  ["a slash after a contextual keyword", "function merge(a, b) { const of = 2; return of / 2; }"],
  ["an unterminated string", "function merge(a, b) { return 'a; }"],
  ["an unbalanced brace", "function merge(a, b) { return a; "],
];

describe("statelessScript", () => {
  it.each(stateless)("proves %s stateless", (_name, source) => {
    expect(statelessScript(source)).toBe(true);
  });

  it.each(stateful)("gives a fresh instance per resolution to %s", (_name, source) => {
    expect(statelessScript(source)).toBe(false);
  });
});

describe("one instance for a stateless script", () => {
  it("reads exactly what a fresh instance per resolution reads, numbers and JSON alike", () => {
    const engine = createScriptEngine({ engine: "quickjs", applyFuel: 1e9, applyTimeoutMs: 600_000 });
    try {
      const source =
        "const K = 3;\nfunction pick(a, b) { return typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) * K : [a, b]; }\nfunction merge(a, b) { return pick(a, b); }";
      expect(statelessScript(source)).toBe(true);
      // The same merge behind a top-level let: a fresh instance per resolution.
      const fresh = `let unused = 0;\n${source}`;
      expect(statelessScript(fresh)).toBe(false);
      let seed = 20261202;
      const next = (): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed;
      };
      const lists: JsonValue[][] = [];
      for (let i = 0; i < 3000; i++) {
        const n = 1 + (next() % 4);
        const list: JsonValue[] = [];
        for (let k = 0; k < n; k++) list.push(next() % 5 === 0 ? `s${next() % 9}` : next() % 1000);
        lists.push(list);
      }
      const once = engine.load(source).run("merge", lists);
      const each = engine.load(fresh).run("merge", lists);
      expect(once.length).toBe(lists.length);
      expect(once.map((r) => (r.ok ? r.value : r.error.code))).toEqual(
        each.map((r) => (r.ok ? r.value : r.error.code)),
      );
      expect(once.every((r) => r.ok)).toBe(true);
    } finally {
      engine.dispose();
    }
  });
});
