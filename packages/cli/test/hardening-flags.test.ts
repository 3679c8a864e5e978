import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSyntax, EXIT, LAW_NAMES, type VerifyReport, verifyScript } from "../src/index.ts";
import { COUNTS_CALLS, failing, run, script, seed } from "./hardening-kit.ts";

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
