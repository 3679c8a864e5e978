import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { isConvergeError } from "@converge/hlc";
import { crashReport } from "./crash-report.ts";
import { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName, isEngineName } from "./engine.ts";
import { junitReport } from "./junit.ts";
import { parseReplay, type Replay } from "./replay.ts";
import { clean } from "./text.ts";
import { verifyScript } from "./verify.ts";
import type { VerifyReport } from "./verify-report.ts";

/** Exit codes of `converge`. */
export const EXIT: Readonly<{
  ok: 0;
  lawsFail: 1;
  cannotLoad: 2;
  sandbox: 3;
  usage: 64;
  internal: 70;
  cannotWrite: 73;
}> = Object.freeze({
  ok: 0,
  lawsFail: 1,
  cannotLoad: 2,
  sandbox: 3,
  usage: 64,
  internal: 70,
  cannotWrite: 73,
});

/** The environment variable through which bin/converge.js tells a re-run that the first run was killed. */
export const CRASHED_ENV = "CONVERGE_CLI_CRASHED";
/**
 * A file where a run notes its seed and the law it is checking (JSON `{ seed, law }`), so that
 * the re-run after a crash can say where it happened.
 */
export const PROGRESS_ENV = "CONVERGE_CLI_PROGRESS";

function readProgress(path: string | undefined): { seed?: number; law?: string } {
  if (path === undefined || path === "") return {};
  try {
    const p = JSON.parse(readFileSync(path, "utf8")) as { seed?: unknown; law?: unknown };
    return {
      ...(Number.isSafeInteger(p.seed) ? { seed: p.seed as number } : {}),
      ...(typeof p.law === "string" ? { law: p.law } : {}),
    };
  } catch {
    return {};
  }
}

const USAGE = `usage: converge verify <resolver.js> [--runs N] [--seed S] [--replay TOKEN]
                       [--engine ${ENGINE_NAMES.join("|")}] [--json] [--junit FILE]
       converge serve [--port N] [--host H] [--rules rules.json] [--token T]
       converge --version | --help

Checks a resolver script's laws in the same sandbox replicas use. Exit codes:
  0  every law holds
  1  a law fails (each failure prints its shrunk counterexample and a --replay token)
  2  the script could not be loaded (syntax error, bad values schema, engine unavailable)
  3  the sandbox refused the script (time, memory or output limit; a crash)
  64 usage error
  70 internal error of converge itself
  73 the --junit file could not be written
converge serve --help describes the server, its options and exit codes.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return String(pkg.version);
}

function print(report: VerifyReport, replayPrefix: string): string {
  const fuel = report.engine.fuel === undefined ? "" : `, fuel ${report.engine.fuel}`;
  const lines = [
    `converge verify ${report.script} (${report.id}, seed ${report.seed}, engine ${report.engine.name}${fuel})`,
  ];
  for (const l of report.laws) {
    const lawFuel = l.fuel === undefined ? "" : `, fuel ${l.fuel}`;
    lines.push(
      `  ${l.ok ? "✓" : "✗"} ${l.law.padEnd(17)} ${l.statement} (${l.runs} runs, ${l.ms.toFixed(0)} ms${lawFuel})`,
    );
  }
  for (const law of report.skipped) lines.push(`  - ${law.padEnd(17)} not checked`);
  for (const w of report.warnings) lines.push(`  ! warning: ${w}`);
  for (const l of report.laws) {
    if (l.ok || l.sandbox !== undefined) continue;
    lines.push("", `✗ ${l.law}: counterexample`);
    for (const line of (l.counterexample ?? "").split("\n")) lines.push(`    ${line}`);
    lines.push(`  replay: ${replayPrefix} --replay ${l.replay ?? ""}`);
  }
  if (report.sandbox !== undefined) {
    const s = report.sandbox;
    lines.push(
      "",
      `sandbox refused the script${s.law === undefined ? "" : ` while checking ${s.law}`}: ${s.code}`,
      `    ${s.message}`,
    );
    if (s.values !== undefined) lines.push(`    values ${JSON.stringify(s.values)}`);
    lines.push("", "verdict: sandbox refusal (the remaining laws were not checked)");
  } else {
    lines.push("", report.ok ? "all laws hold" : `${report.laws.filter((l) => !l.ok).length} law(s) fail`);
  }
  return lines.join("\n");
}

function exitOf(report: VerifyReport): number {
  return report.verdict === "pass" ? EXIT.ok : report.verdict === "sandbox" ? EXIT.sandbox : EXIT.lawsFail;
}

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/**
 * Runs the CLI with `argv` (without node and the script path); returns the exit code. Output goes
 * to process.stdout, progress and errors to process.stderr.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === "serve") {
    // Loaded on demand: `converge verify` never loads the server, ws or the rules.
    const { serve } = await import("./serve.ts");
    return serve(argv.slice(1), {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        runs: { type: "string" },
        seed: { type: "string" },
        replay: { type: "string" },
        engine: { type: "string" },
        json: { type: "boolean" },
        junit: { type: "string" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const opt = parsed.values;
  if (opt["help"] === true) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (opt["version"] === true) {
    process.stdout.write(`converge ${version()}\n`);
    return EXIT.ok;
  }
  const [command, file, ...rest] = parsed.positionals;
  if (command !== "verify" || file === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.usage;
  }
  const usage = (why: string): number => {
    process.stderr.write(`${why}\n${USAGE}\n`);
    return EXIT.usage;
  };
  const runs = opt["runs"] === undefined ? 100 : Number(opt["runs"]);
  const seedArg = opt["seed"] === undefined ? undefined : Number(opt["seed"]);
  if (!Number.isSafeInteger(runs) || runs < 1 || (seedArg !== undefined && !Number.isSafeInteger(seedArg))) {
    return usage("--runs and --seed take integers (--runs at least 1)");
  }
  const engineArg = opt["engine"];
  if (typeof engineArg === "string" && !isEngineName(engineArg)) {
    return usage(`--engine takes ${ENGINE_NAMES.join(" or ")}, not ${JSON.stringify(engineArg)}`);
  }
  const engine: EngineName =
    typeof engineArg === "string" && isEngineName(engineArg) ? engineArg : DEFAULT_ENGINE;
  let replay: Replay | undefined;
  if (typeof opt["replay"] === "string") {
    replay = parseReplay(opt["replay"]);
    if (replay === undefined) {
      return usage(
        `--replay takes a token printed by a failing run (<law>:<seed>:<path>), not ${JSON.stringify(opt["replay"])}`,
      );
    }
  }
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.cannotLoad;
  }
  const progressFile = env[PROGRESS_ENV];
  const crashed = env[CRASHED_ENV];
  const before = crashed !== undefined && crashed !== "" ? readProgress(progressFile) : {};
  const seed = replay?.seed ?? seedArg ?? before.seed ?? Math.floor(Math.random() * 2 ** 31);
  const note = (law?: string): void => {
    if (progressFile === undefined || progressFile === "") return;
    try {
      writeFileSync(progressFile, JSON.stringify({ seed, ...(law === undefined ? {} : { law }) }));
    } catch {
      // Only a note for a crash report.
    }
  };
  let report: VerifyReport;
  if (crashed !== undefined && crashed !== "") {
    report = crashReport(file, source, crashed, engine, seed, before.law);
  } else {
    note();
    try {
      report = await verifyScript(file, source, {
        runs,
        seed,
        engine,
        ...(replay === undefined ? {} : { replay }),
        progress: (line) => process.stderr.write(`${line}\n`),
        onLaw: note,
      });
    } catch (e) {
      if (e instanceof RangeError && replay !== undefined) return usage(e.message);
      if (isConvergeError(e)) {
        const where = e.code === "VERIFY_SYNTAX" ? "" : `${file}: `;
        process.stderr.write(`${where}${clean(e.message)}\n`);
        return EXIT.cannotLoad;
      }
      throw e;
    }
  }
  const prefix = ["converge", "verify", file, ...(engineArg === undefined ? [] : ["--engine", engine])]
    .map(quote)
    .join(" ");
  if (opt["json"] === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${print(report, prefix)}\n`);
  const junit = opt["junit"];
  if (typeof junit === "string") {
    try {
      mkdirSync(dirname(junit), { recursive: true });
      writeFileSync(junit, junitReport(report));
    } catch (e) {
      process.stderr.write(`cannot write ${junit}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.cannotWrite;
    }
  }
  return exitOf(report);
}
