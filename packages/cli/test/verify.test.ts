import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { verifyScript } from "../src/index.ts";

const examples = fileURLToPath(new URL("../../../examples/resolvers/", import.meta.url));
const bin = fileURLToPath(new URL("../bin/converge.js", import.meta.url));
const seed = Number(process.env["CONVERGE_SEED"] ?? 1);

// Every example script and the verdict `converge verify` must give it.
const verdicts: [string, string[]][] = [
  ["max.js", []],
  ["union.js", []],
  ["min-price.js", []],
  ["cart.js", []],
  ["sum.js", ["idempotent"]],
  ["first-wins.js", ["order-insensitive"]],
  ["price-no-tiebreak.js", ["commutative", "fold"]],
];

describe("converge verify on the example scripts", () => {
  it.each(verdicts)(
    "%s fails exactly %j",
    async (file, failing) => {
      const report = await verifyScript(file, readFileSync(join(examples, file), "utf8"), {
        seed,
        runs: 200,
      });
      expect(report.laws.filter((l) => !l.ok).map((l) => l.law)).toEqual(failing);
      for (const l of report.laws.filter((x) => !x.ok)) {
        expect(l.counterexample).toBeTruthy();
        expect(l.seed).toBeTypeOf("number");
      }
      expect(report.laws.find((l) => l.law === "converges")?.ok).toBe(true);
      expect(report.engine.name).toBe("quickjs");
    },
    60_000,
  );

  // The same verdicts on isolated-vm (supervised, wall-clock limits: generous here, since the
  // machine running the tests may be loaded), for one passing script and one of each failure.
  it.each(verdicts.filter(([f]) => ["max.js", "sum.js", "first-wins.js"].includes(f)))(
    "%s fails exactly %j on isolated-vm too",
    async (file, failing) => {
      const report = await verifyScript(file, readFileSync(join(examples, file), "utf8"), {
        seed,
        runs: 60,
        engine: "isolated-vm",
        limits: { timeoutMs: 2000, applyTimeoutMs: 20_000 },
      });
      expect(report.laws.filter((l) => !l.ok).map((l) => l.law)).toEqual(failing);
      expect(report.engine.name).toBe("isolated-vm");
    },
    120_000,
  );
});

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, CONVERGE_CLI_CHILD: "" },
  });
}

describe("the converge command", () => {
  it("exits 0 when every law holds, with a line per law", () => {
    const r = run("verify", join(examples, "max.js"), "--runs", "30", "--seed", "7");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/✓ commutative/);
    expect(r.stdout).toMatch(/all laws hold/);
  }, 60_000);

  it("exits 1 when a law fails, printing the counterexample and a replay token; writes JUnit", () => {
    const dir = mkdtempSync(join(tmpdir(), "converge-"));
    const junit = join(dir, "verify.xml");
    const r = run("verify", join(examples, "sum.js"), "--runs", "30", "--seed", "7", "--junit", junit);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✗ idempotent/);
    expect(r.stdout).toMatch(/replay: converge verify \S+ --replay idempotent:\d+:[\d:]*/);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(/<testcase [^>]*name="idempotent"[^>]*>\s*<failure/);
    expect(xml).toMatch(/failures="1"/);
  }, 60_000);

  it("prints JSON with --json", () => {
    const r = run("verify", join(examples, "first-wins.js"), "--runs", "30", "--json");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; laws: { law: string; ok: boolean }[] };
    expect(report.ok).toBe(false);
    expect(report.laws.find((l) => l.law === "order-insensitive")?.ok).toBe(false);
  }, 60_000);

  it("exits 2 when the script cannot be loaded, 64 on bad usage", () => {
    expect(run("verify", join(examples, "missing.js")).status).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), "converge-"));
    const broken = join(dir, "broken.js");
    spawnSync("sh", ["-c", `printf 'function merge(a, b) {' > ${broken}`]);
    const r = run("verify", broken);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/does not compile/);
    expect(run("frobnicate").status).toBe(64);
    expect(run("verify", join(examples, "max.js"), "--runs", "many").status).toBe(64);
  }, 60_000);
});
