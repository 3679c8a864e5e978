import { describe, expect, it } from "vitest";
import { createScriptEngine } from "../src/index.ts";

import { conflictUnder, engines, outcome } from "./attack-kit.ts";

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
