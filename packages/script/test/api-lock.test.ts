import { afterAll, describe, expect, it } from "vitest";
import { createScriptEngine, type ScriptEngine, type ScriptEngineName } from "../src/index.ts";

// A script can reach the sandbox's own functions (`__converge`); called without the host's key
// they refuse, so a script cannot drain, skip, reload or forge another key's rows.
const engines: Record<ScriptEngineName, ScriptEngine> = {
  quickjs: createScriptEngine({ engine: "quickjs" }),
  "isolated-vm": createScriptEngine({ engine: "isolated-vm" }),
};
afterAll(() => {
  for (const e of Object.values(engines)) e.dispose();
});

const forged = JSON.stringify(Array.from({ length: 8 }, () => [100, 100]));
const attacks: Record<string, string> = {
  take: "c.take(); c.take(0)",
  skip: "c.skip(); c.skip(0)",
  "load and resume": `c.load("merge", ${JSON.stringify(forged)}, 0); c.resume(8); c.load(0, "merge", ${JSON.stringify(forged)}, 0); c.resume(0, 8)`,
  "load numbers": "c.loadNumeric(0, 'merge', new ArrayBuffer(8), new ArrayBuffer(16), 0); c.resume(0, 8)",
  "read results": "return c.results(0)",
  "run a batch": `return c.run(0, "merge", ${JSON.stringify(forged)}, 0)`,
  "lock again": "c.lock(1); c.resume(1, 8)",
};

describe.each(Object.keys(engines) as ScriptEngineName[])(
  "%s: the sandbox's functions are the host's",
  (name) => {
    it.each(Object.entries(attacks))("%s", (_, attack) => {
      const h = engines[name].load(
        `function merge(a, b) { if (a === 3) { const c = globalThis.__converge; ${attack}; } return a + b; }`,
      );
      const lists = Array.from({ length: 8 }, (_, i) => [i, 10 + i]);
      for (const batch of [lists, [...lists].reverse()]) {
        const out = h.run("merge", batch);
        // The key whose script attacked fails on its own; every other key reads its own sum.
        batch.forEach(([a, b], i) => {
          const r = out[i];
          if (a === 3) expect(r?.ok === false && r.error.code).toBe("SCRIPT_THREW");
          else expect(r?.ok === true && r.value).toBe((a as number) + (b as number));
        });
      }
    });
  },
);
