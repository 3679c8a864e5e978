import { fileURLToPath } from "node:url";
import { createReplicatedMap, isConvergeError } from "@converge/core";
import { lww } from "@converge/resolvers";
import { afterAll, describe, expect, it } from "vitest";
import { createScriptEngine, loadScriptDirectory, scriptResolver } from "../src/index.ts";

const engine = createScriptEngine();
afterAll(() => engine.dispose());
const examples = fileURLToPath(new URL("../../../examples/resolvers/", import.meta.url));
const MAX = "function merge(a, b) { return Math.max(a, b); }";

function pair(rules: Parameters<typeof createReplicatedMap>[0]["resolvers"]) {
  const make = (node: string) =>
    createReplicatedMap({ resolvers: rules, clockOptions: { node, now: () => 1_764_000_000_000 } });
  return [make("000000000000000a"), make("000000000000000b")] as const;
}

describe("script resolvers", () => {
  it("resolve concurrent values, keep causality and observed-remove deletes", () => {
    const max = scriptResolver({ source: MAX, engine });
    const [a, b] = pair({ default: max });
    a.set("k", 3);
    b.set("k", 7);
    a.applyState(b.encodeState());
    b.applyState(a.encodeState());
    expect(a.get("k")).toBe(7);
    expect(b.get("k")).toBe(7);
    // A causally later write wins, even if smaller: the script only reads concurrent values.
    a.set("k", 1);
    b.applyState(a.encodeState());
    expect(b.get("k")).toBe(1);
    expect(Buffer.from(a.encodeState()).equals(Buffer.from(b.encodeState()))).toBe(true);
  });

  it("are identified by a hash of their source: another version's state is refused, nothing changes", () => {
    const v1 = scriptResolver({ source: MAX, engine });
    const v2 = scriptResolver({ source: `${MAX}\n// v2`, engine });
    expect(v1.id).toMatch(/^script:[0-9a-f]{16}@quickjs-0\.32\.0\.r4\.f\d+\.m\d+\.s\d+$/);
    expect(v1.id).not.toBe(v2.id);
    const [a] = pair({ default: v1 });
    const [, b] = pair({ default: v2 });
    a.set("k", 1);
    b.set("k", 2);
    const before = Buffer.from(b.encodeState()).toString("hex");
    let error: unknown;
    try {
      b.applyState(a.encodeState());
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error, "UNKNOWN_RESOLVER")).toBe(true);
    expect(Buffer.from(b.encodeState()).toString("hex")).toBe(before);
  });

  it("resolve the conflicts of an apply in one batched call", () => {
    const calls: number[] = [];
    const spy = createScriptEngine();
    const original = spy.load;
    const counting = {
      ...spy,
      load: (source: string) => {
        const h = original(source);
        return {
          ...h,
          run: (kind: "resolve" | "merge", lists: Parameters<typeof h.run>[1]) => {
            calls.push(lists.length);
            return h.run(kind, lists);
          },
        };
      },
    };
    const max = scriptResolver({ source: MAX, engine: counting });
    const [a, b] = pair({ default: max });
    for (let i = 0; i < 500; i++) {
      a.set(`k${i}`, i);
      b.set(`k${i}`, 1000 - i);
    }
    a.applyState(b.encodeState());
    expect(calls).toEqual([500]);
    for (let i = 0; i < 500; i++) expect(a.get(`k${i}`)).toBe(Math.max(i, 1000 - i));
    expect(calls).toEqual([500]); // every read came from the batch
    spy.dispose();
  });

  it("refuses values scripts cannot take", () => {
    const [a] = pair({ default: scriptResolver({ source: MAX, engine }) });
    for (const bad of [new Uint8Array([1]), -0]) {
      let error: unknown;
      try {
        a.set("k", bad);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "SCRIPT_NON_JSON")).toBe(true);
    }
  });

  it("load a directory of scripts from its manifest", () => {
    const dir = loadScriptDirectory(examples, engine);
    expect(Object.keys(dir.keys).sort()).toEqual(["cart:*", "price:*", "tags:*"]);
    const [a, b] = pair({ default: lww(), keys: dir.keys });
    a.set("cart:x", { apple: 1 });
    b.set("cart:x", { fig: 2 });
    a.set("tags:x", ["pear"]);
    b.set("tags:x", ["apple", "pear"]);
    a.applyState(b.encodeState());
    expect(a.get("cart:x")).toEqual({ apple: 1, fig: 2 });
    expect(a.get("tags:x")).toEqual(["apple", "pear"]);
    let error: unknown;
    try {
      loadScriptDirectory(fileURLToPath(new URL(".", import.meta.url)), engine);
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error, "SCRIPT_LOAD")).toBe(true);
  });
});

describe("the harness on a script resolver", () => {
  it("satisfies the resolver laws and converges over network schedules", async () => {
    const { assertConvergence, assertLaws, registerSpec } = await import("@converge/core/testing");
    const fc = (await import("fast-check")).default;
    const max = scriptResolver({ source: MAX, engine });
    assertLaws({ resolver: max, values: fc.integer({ min: 0, max: 9 }), log: () => {} });
    await assertConvergence({
      rules: { default: max },
      keys: ["a", "b"],
      values: fc.integer({ min: 0, max: 9 }),
      specs: { [max.id]: registerSpec((live) => Math.max(...live.map((w) => w.value as number))) },
      log: () => {},
    });
  }, 60_000);
});

describe.each([
  ["quickjs", "SCRIPT_OUT_OF_FUEL"],
  ["isolated-vm", "SCRIPT_TIMEOUT"],
] as const)("numbers, JSON results and failures per list on %s", (name, limitCode) => {
  it("returns numbers, other JSON results and failures per list, like the JSON path", () => {
    const engine = createScriptEngine({ engine: name });
    const h = engine.load(
      "function merge(a, b) { if (a === 3) throw new Error('three'); if (a === 5) for (;;) {} return a === 1 ? String(Math.max(a, b)) : Math.max(a, b); }",
    );
    const results = h.run("merge", [
      [1, 2],
      [3, 4],
      [7, 6],
      [-1.5, -2.5],
    ]);
    expect(results.map((r) => (r.ok ? r.value : r.error.code))).toEqual(["2", "SCRIPT_THREW", 7, -1.5]);
    const slow = h.run("merge", [
      [5, 1],
      [8, 9],
    ]);
    expect(slow.map((r) => (r.ok ? r.value : r.error.code))).toEqual([limitCode, 9]);
    expect(h.lastRun().engine).toBe(name);
    if (name === "quickjs") expect(h.lastRun().fuel).toBeGreaterThan(engine.limits.fuel);
    engine.dispose();
  }, 30_000);
  it("an isolated-vm resolver carries its engine in its id, and refuses QuickJS state", () => {
    if (name !== "isolated-vm") return;
    const ivm = scriptResolver({ source: MAX, engine: "isolated-vm" });
    const qjs = scriptResolver({ source: MAX });
    expect(ivm.id).toMatch(/@isolated-vm$/);
    expect(ivm.id).not.toBe(qjs.id);
  }, 30_000);
});

describe("the example scripts read the same on both engines", () => {
  it("every example gives the same verdicts on QuickJS and on supervised isolated-vm", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const fc = (await import("fast-check")).default;
    const quickjs = createScriptEngine({ engine: "quickjs" });
    const ivm = createScriptEngine({ engine: "isolated-vm" });
    const files = readdirSync(examples).filter((f) => f.endsWith(".js"));
    expect(files.length).toBeGreaterThan(3);
    // Seeded sample values: small integers, strings from a few words, records of them.
    const word = fc.constantFrom("apple", "fig", "pear", "kiwi");
    const value = fc.oneof(
      fc.integer({ min: 0, max: 9 }),
      fc.array(word, { maxLength: 4 }),
      fc.dictionary(word, fc.integer({ min: 1, max: 5 }), { maxKeys: 3 }),
      fc.record({ price: fc.integer({ min: 1, max: 9 }), seller: word }),
    );
    const lists = fc.sample(fc.array(value, { minLength: 2, maxLength: 4 }), { numRuns: 60, seed: 11 });
    for (const file of files) {
      const source = readFileSync(`${examples}${file}`, "utf8");
      const a = quickjs.load(source);
      const b = ivm.load(source);
      const kind = a.shape.resolve ? "resolve" : "merge";
      const read = (h: typeof a) => h.run(kind, lists).map((r) => (r.ok ? r.value : r.error.code));
      expect(read(a), file).toEqual(read(b));
    }
    quickjs.dispose();
    ivm.dispose();
  }, 60_000);
});
