import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isConvergeError } from "@converge/hlc";
import { junitReport } from "./junit.ts";
import { SchemaError } from "./schema.ts";
import { type VerifyReport, verifyScript } from "./verify.ts";

/** Exit codes of `converge`. */
export const EXIT: Readonly<{ ok: 0; lawsFail: 1; cannotLoad: 2; usage: 64 }> = Object.freeze({
  ok: 0,
  lawsFail: 1,
  cannotLoad: 2,
  usage: 64,
});

const USAGE = `usage: converge verify <resolver.js> [--runs N] [--seed S] [--json | --junit FILE]

Checks a resolver script's laws in the same sandbox replicas use. Exit codes:
  0  every law holds
  1  a law fails (each failure prints its shrunk counterexample and seed)
  2  the script could not be loaded
  64 usage error`;

function print(report: VerifyReport): string {
  const lines = [`converge verify ${report.script} (${report.id}, seed ${report.seed})`];
  for (const l of report.laws) {
    lines.push(
      `  ${l.ok ? "✓" : "✗"} ${l.law.padEnd(17)} ${l.statement} (${l.runs} runs, ${l.ms.toFixed(0)} ms)`,
    );
  }
  for (const l of report.laws) {
    if (l.ok) continue;
    lines.push("", `✗ ${l.law}: counterexample (replay: --seed ${l.seed}; path ${l.path ?? ""})`);
    for (const line of (l.counterexample ?? "").split("\n")) lines.push(`    ${line}`);
  }
  lines.push("", report.ok ? "all laws hold" : `${report.laws.filter((l) => !l.ok).length} law(s) fail`);
  return lines.join("\n");
}

/** Runs the CLI with `argv` (without node and the script path); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        runs: { type: "string" },
        seed: { type: "string" },
        json: { type: "boolean" },
        junit: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (parsed.values["help"] === true) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command !== "verify" || file === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  const runs = parsed.values["runs"] === undefined ? 100 : Number(parsed.values["runs"]);
  const seed = parsed.values["seed"] === undefined ? undefined : Number(parsed.values["seed"]);
  if (!Number.isSafeInteger(runs) || runs < 1 || (seed !== undefined && !Number.isSafeInteger(seed))) {
    process.stderr.write(`--runs and --seed take integers\n${USAGE}\n`);
    return EXIT.usage;
  }
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.cannotLoad;
  }
  let report: VerifyReport;
  try {
    report = await verifyScript(file, source, {
      runs,
      ...(seed === undefined ? {} : { seed }),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (e) {
    if (isConvergeError(e) || e instanceof SchemaError) {
      process.stderr.write(`${file}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.cannotLoad;
    }
    throw e;
  }
  if (parsed.values["json"] === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${print(report)}\n`);
  const junit = parsed.values["junit"];
  if (typeof junit === "string") writeFileSync(junit, junitReport(report));
  return report.ok ? EXIT.ok : EXIT.lawsFail;
}
