import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, type VerifyReport } from "../src/index.ts";
import { dir, run, script, seed } from "./hardening-kit.ts";

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
