import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createReplicatedMap } from "@converge/core";
import { type JsonValue, scriptResolver } from "@converge/script";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkSyntax,
  EXIT,
  junitReport,
  LAW_NAMES,
  parseReplay,
  SchemaError,
  schemaArbitrary,
  type VerifyReport,
  verifyScript,
} from "../src/index.ts";

const bin = fileURLToPath(new URL("../bin/converge.js", import.meta.url));
const seed = Number(process.env["CONVERGE_SEED"] ?? 1);
const dir = mkdtempSync(join(tmpdir(), "converge-verify-"));
let n = 0;
/** Writes a script to a temporary file; returns its path. */
function script(source: string): string {
  const file = join(dir, `script-${n++}.js`);
  writeFileSync(file, source);
  return file;
}
function run(...args: string[]) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, CONVERGE_CLI_CHILD: "" },
    timeout: 60_000,
  });
  return { ...r, ms: performance.now() - t };
}
const failing = (r: VerifyReport): string[] => r.laws.filter((l) => !l.ok).map((l) => l.law);

const COUNTS_CALLS = `export const values = { type: "integer", min: 0, max: 10 };
export function merge(a, b) {
  merge.calls = (merge.calls || 0) + 1;
  return merge.calls > 1 ? a : Math.max(a, b);
}
`;

describe("the fold law", () => {
  it("catches a merge that counts its calls, which every two-value law passes", async () => {
    const report = await verifyScript("counts.js", COUNTS_CALLS, { seed, runs: 100 });
    expect(failing(report)).toEqual(["fold"]);
    const fold = report.laws.find((l) => l.law === "fold");
    // The shrunk counterexample folds at least three values, in two orders with different results.
    const [values] = JSON.parse((fold?.counterexample ?? "").split("\n")[0] ?? "[]") as [number[]];
    expect(values.length).toBeGreaterThanOrEqual(3);
    expect(fold?.counterexample).toMatch(/folding \[.*\] gives \d+, folding \[.*\] gives \d+/);
    expect(report.verdict).toBe("fail");
  }, 60_000);

  it("holds for a real join folded in any order", async () => {
    const report = await verifyScript(
      "max.js",
      `export const values = { type: "integer", min: -5, max: 5 };\nexport function merge(a, b) { return Math.max(a, b); }\n`,
      { seed, runs: 100 },
    );
    expect(report.laws.find((l) => l.law === "fold")?.ok).toBe(true);
    expect(report.ok).toBe(true);
  }, 60_000);
});

describe("the batched law", () => {
  // Reads the larger number, unless its stack shows the list took the sandbox's JSON batch path
  // (its key shares a batch with a key holding a non-number): a leak of batch internals.
  const STACK_READER = `export const values = { type: "integer", min: 0, max: 9 };
export function merge(a, b) {
  return /resolveOne/.test(String(new Error().stack)) ? Math.min(a, b) : Math.max(a, b);
}
`;

  /** Whether a real map reads {1, 2, 5} differently when the key shares its batch with a string-valued key. */
  function mapLeaks(): boolean {
    const readOf = (withCompanion: boolean): unknown => {
      const resolver = scriptResolver({ source: STACK_READER });
      const make = (node: string) =>
        createReplicatedMap({ resolvers: { default: resolver }, clockOptions: { node } });
      const reader = make("00000000000000aa");
      [1, 2, 5].forEach((v, i) => {
        const w = make(`000000000000000${i + 1}`);
        w.set("k", v);
        if (withCompanion) w.set("s", ["a", "b", "c"][i]);
        reader.applyState(w.encodeState());
      });
      const relay = make("00000000000000bb");
      relay.applyState(reader.encodeState());
      return relay.get("k");
    };
    return JSON.stringify(readOf(true)) !== JSON.stringify(readOf(false));
  }

  it("fails exactly when the map's batched path reads differently (and passes every direct law)", async () => {
    const report = await verifyScript("stack.js", STACK_READER, { seed, runs: 100 });
    const leaks = mapLeaks();
    expect(failing(report)).toEqual(leaks ? ["batched"] : []);
    if (leaks) expect(report.laws.find((l) => l.law === "batched")?.counterexample).toMatch(/reads/);
  }, 60_000);
});

describe("sandbox refusals", () => {
  const cases: [string, string][] = [
    ["a memory bomb", "const xs = []; for (;;) xs.push(new Float64Array(1 << 20));"],
    ["a huge output", 'return "x".repeat(4 * 1024 * 1024);'],
    ["an endless loop", "for (;;) {}"],
  ];
  it.each(cases)(
    "%s stops at once: its own verdict, exit 3, the code in JSON, no other law checked",
    (_what, body) => {
      const file = script(
        `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { ${body} }\n`,
      );
      const r = run("verify", file, "--json", "--seed", String(seed));
      expect(r.status).toBe(EXIT.sandbox);
      const report = JSON.parse(r.stdout) as VerifyReport;
      expect(report.verdict).toBe("sandbox");
      expect(report.sandbox?.code).toMatch(/^SCRIPT_(OUT_OF_MEMORY|RESULT_TOO_LARGE|TIMEOUT|OUT_OF_FUEL)$/);
      expect(report.sandbox?.law).toBe("terminates");
      expect(report.laws.map((l) => l.law)).toEqual(["terminates"]);
      expect(report.skipped).toContain("converges");
      // Two node processes start in this time too; before, these took 20 s to 600 s.
      expect(r.ms).toBeLessThan(15_000);
    },
    60_000,
  );

  it("a script that kills the verifying process is a sandbox verdict, not exit 70", () => {
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { return "x".repeat(2 ** 28).split("").length; }\n`,
    );
    const junit = join(dir, "killed", "report.xml");
    const r = run("verify", file, "--json", "--junit", junit, "--seed", String(seed));
    expect(r.status).toBe(EXIT.sandbox);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.verdict).toBe("sandbox");
    expect(report.sandbox?.code).toMatch(/^SCRIPT_/);
    expect(report.sandbox?.law).toBe("terminates");
    expect(report.seed).toBe(seed);
    expect(readFileSync(junit, "utf8")).toMatch(/<error message="sandbox refused: SCRIPT_/);
  }, 60_000);

  it("a failure of the script's own (a throw) stays a law failure, exit 1", () => {
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { if (a === 2) throw new Error("two"); return Math.max(a, b); }\n`,
    );
    const r = run("verify", file, "--json", "--runs", "30", "--seed", String(seed));
    expect(r.status).toBe(EXIT.lawsFail);
    expect((JSON.parse(r.stdout) as VerifyReport).verdict).toBe("fail");
  }, 60_000);
});

describe("values schemas", () => {
  const bad: [string, JsonValue, RegExp][] = [
    ["min > max", { type: "integer", min: 5, max: 1 }, /min \(5\) is greater than max \(1\)/],
    ["an empty oneOf", { oneOf: [] }, /oneOf must be a non-empty array/],
    ["a negative maxLength", { type: "string", maxLength: -1 }, /maxLength must be an integer/],
    ["an empty enum", { enum: [] }, /enum must be a non-empty array/],
    [
      "a nested unknown form",
      { type: "array", items: { oneOf: [{ type: "wat" }] } },
      /values\.items\.oneOf\[0\]/,
    ],
    ["a fractional integer bound", { type: "integer", max: 1.5 }, /safe integer/],
  ];
  it.each(bad)(
    "%s is exit 2 with a message, never an uncaught error",
    (_what, schema, message) => {
      expect(() => schemaArbitrary(schema)).toThrow(SchemaError);
      const file = script(
        `export const values = ${JSON.stringify(schema)};\nexport function merge(a, b) { return a; }\n`,
      );
      const r = run("verify", file, "--runs", "5");
      expect(r.status).toBe(EXIT.cannotLoad);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    },
    60_000,
  );

  it("an unbounded integer ranges over the safe integers (and catches a merge wrong above 2^40)", async () => {
    const sample = fc.sample(schemaArbitrary({ type: "integer" }), { seed, numRuns: 500 });
    expect(sample.every((x) => Number.isSafeInteger(x))).toBe(true);
    expect(sample.some((x) => Math.abs(x as number) > 2 ** 32)).toBe(true);
    const report = await verifyScript(
      "big.js",
      `export const values = { type: "integer" };\nexport function merge(a, b) { return a > 2 ** 40 ? a : Math.max(a, b); }\n`,
      { seed, runs: 200 },
    );
    expect(failing(report)).toContain("commutative");
  }, 60_000);
});

/** A small well-formedness check of XML 1.0: characters, references, and balanced tags. */
function wellFormed(xml: string): void {
  for (const ch of xml) {
    const c = ch.codePointAt(0) ?? 0;
    const ok =
      c === 9 ||
      c === 10 ||
      c === 13 ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000;
    if (!ok) throw new Error(`character U+${c.toString(16)} is not allowed in XML`);
  }
  const body = xml.replace(/^<\?xml [^?]*\?>/, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf("<", i);
    const text = body.slice(i, lt === -1 ? body.length : lt);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bare & in ${text}`);
    if (text.includes(">")) throw new Error(`bare > in text ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (m === null) throw new Error(`malformed tag at ${body.slice(lt, lt + 60)}`);
    const [, close, name, attrs, selfClosing] = m;
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(attrs ?? ""))
      throw new Error("bare & in attribute");
    if (close === "/") {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else if (selfClosing !== "/") stack.push(name as string);
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join(", ")}`);
}

describe("reports", () => {
  it("--junit creates its folder and writes well-formed XML whatever the messages hold", () => {
    const nasty = String.raw`\u0000\u0001<b>&amp;]]>\"'\ud800\u2063converge-non-json\u2063\uffff`;
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { if (a !== b) throw new Error("${nasty}"); return a; }\n`,
    );
    const junit = join(dir, "new", "nested", "verify.xml");
    const r = run("verify", file, "--runs", "20", "--seed", String(seed), "--junit", junit);
    expect(r.status).toBe(EXIT.lawsFail);
    expect(existsSync(junit)).toBe(true);
    const xml = readFileSync(junit, "utf8");
    wellFormed(xml);
    expect(xml).toMatch(/<failure message="[^"]*">[^<]*&lt;b&gt;&amp;amp;\]\]&gt;/);
    expect(xml).toMatch(/\\u0000/);
  }, 60_000);

  it("junitReport escapes every field, including the script name and law names", () => {
    const report: VerifyReport = {
      script: 'a"<&\u0007.js',
      id: "script:0",
      seed: 1,
      engine: { name: "isolated-vm" },
      verdict: "fail",
      ok: false,
      laws: [
        {
          law: "fold",
          statement: "x < y",
          ok: false,
          runs: 1,
          seed: 1,
          counterexample: "\u001b[31m\udfff",
          ms: 1,
        },
      ],
      skipped: [],
      warnings: [],
    };
    expect(() => wellFormed(junitReport(report))).not.toThrow();
  });

  it("no internal marker reaches any message", () => {
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { return Date.now() > 0 ? a : b; }\n`,
    );
    for (const format of [[], ["--json"]]) {
      const r = run("verify", file, "--runs", "10", "--seed", String(seed), ...format);
      expect(r.status).toBe(EXIT.lawsFail);
      expect(r.stdout).toMatch(/Date/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\u2063|converge-nondeterminism/);
    }
  }, 60_000);

  it("a failure prints a --replay token that replays exactly its counterexample", () => {
    const file = script(COUNTS_CALLS);
    const first = run("verify", file, "--runs", "100", "--seed", String(seed));
    expect(first.status).toBe(EXIT.lawsFail);
    const line = /replay: (converge verify \S+ --replay (\S+))/.exec(first.stdout);
    expect(line?.[1]).toBe(`converge verify ${file} --replay ${line?.[2]}`);
    const token = parseReplay(line?.[2] ?? "");
    expect(token?.law).toBe("fold");
    const again = run("verify", file, "--replay", line?.[2] ?? "", "--json");
    expect(again.status).toBe(EXIT.lawsFail);
    const report = JSON.parse(again.stdout) as VerifyReport;
    expect(report.laws.map((l) => l.law)).toEqual(["fold"]);
    const before = /✗ fold: counterexample\n {4}(.*)\n {4}(.*)/.exec(first.stdout);
    expect(report.laws[0]?.counterexample).toBe(`${before?.[1]}\n${before?.[2]}`);
    expect(run("verify", file, "--replay", "not a token").status).toBe(EXIT.usage);
    expect(run("verify", file, "--replay", "order-insensitive:1:0").status).toBe(EXIT.usage);
  }, 60_000);
});

describe("loading and flags", () => {
  it("warns when the values schema allows a single value (the laws then hold trivially)", async () => {
    const report = await verifyScript(
      "const.js",
      `export const values = { const: 1 };\nexport function merge(a, b) { return a - b; }\n`,
      { seed, runs: 10 },
    );
    expect(report.warnings.join()).toMatch(/single value/);
    const fine = await verifyScript(
      "bool.js",
      `export const values = { type: "boolean" };\nexport function merge(a, b) { return a || b; }\n`,
      { seed, runs: 10 },
    );
    expect(fine.warnings).toEqual([]);
  }, 60_000);

  it("a syntax error names the file and the script's own line", () => {
    const source = `// header\n\nexport const values = { type: "integer" };\n\nexport function merge(a, b) {\n  return a +;\n}\n`;
    expect(() => checkSyntax("s.js", source)).toThrow(/^s\.js:6: the script does not compile: SyntaxError/);
    const file = script(source);
    const r = run("verify", file);
    expect(r.status).toBe(EXIT.cannotLoad);
    expect(r.stderr).toContain(`${file}:6: the script does not compile`);
    // Exports, strict mode and top-level return are as the sandbox's loader has them.
    expect(() =>
      checkSyntax("ok.js", "export const x = 1;\nexport function merge(a, b) { return a; }"),
    ).not.toThrow();
    expect(() => checkSyntax("w.js", "with (x) {}")).toThrow(/^w\.js:1:/);
    // A source that tries to close the sandbox's wrapper and keep state outside it.
    expect(() =>
      checkSyntax("x.js", "function merge(a, b) { return a; }\n}); let n = 0; (function () {\n"),
    ).toThrow(/^x\.js:2: the script does not compile/);
    // Linear in the size of the source: 200,000 blank lines check quickly.
    const t = performance.now();
    expect(() => checkSyntax("b.js", `${"\n".repeat(200_000)}function merge(a, b) { return a +; }`)).toThrow(
      /^b\.js:200001:/,
    );
    expect(performance.now() - t).toBeLessThan(2000);
  }, 60_000);

  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    const r = run("--version");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`converge ${pkg.version}\n`);
  }, 60_000);

  it("--engine quickjs (the default) reports the fuel used, in total and per law", () => {
    const file = script(COUNTS_CALLS);
    // Enough runs that the whole verification crosses interrupt ticks whatever the seed.
    const r = run("verify", file, "--engine", "quickjs", "--runs", "200", "--seed", String(seed), "--json");
    expect(r.status).toBe(EXIT.lawsFail);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.engine.name).toBe("quickjs");
    expect(report.id).toMatch(/^script:[0-9a-f]{16}@quickjs-/);
    expect(report.engine.fuel).toBeTypeOf("number");
    for (const l of report.laws) {
      expect(l.fuel).toBeTypeOf(["batched", "converges"].includes(l.law) ? "undefined" : "number");
    }
    // Fuel is counted in whole interrupt ticks, so a law whose few runs stayed under one tick
    // (seed-dependent) reports 0; the run as a whole ticks.
    expect(report.laws.reduce((sum, l) => sum + (l.fuel ?? 0), 0)).toBeGreaterThan(0);
    expect(report.laws.find((l) => l.law === "fold")?.fuel).toBeGreaterThanOrEqual(0);
    expect(failing(report)).toEqual(["fold"]);
    const text = run("verify", file, "--runs", "10", "--seed", String(seed));
    expect(text.stdout).toMatch(/engine quickjs, fuel \d+/);
  }, 60_000);

  it("--engine isolated-vm runs on that engine (no fuel); an unknown engine is a usage error", () => {
    const file = script(COUNTS_CALLS);
    const r = run(
      "verify",
      file,
      "--engine",
      "isolated-vm",
      "--runs",
      "10",
      "--seed",
      String(seed),
      "--json",
    );
    expect(r.status).toBe(EXIT.lawsFail);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.engine.name).toBe("isolated-vm");
    expect(report.engine.fuel).toBeUndefined();
    expect(failing(report)).toContain("fold");
    expect(run("verify", file, "--engine", "v8").status).toBe(EXIT.usage);
    expect(LAW_NAMES).toContain("batched");
  }, 60_000);
});
