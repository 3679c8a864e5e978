import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchConfig, Workload } from "./config.ts";
import { NO_RESULTS, SECTION_FIELD, type SectionResults } from "./run-workloads.ts";
import { type SectionRun, type SectionRuns, startSection } from "./section-run.ts";

/** What a child writes to the file named by BENCH_CHILD_OUT. */
export interface ChildOutput {
  readonly results: SectionResults;
  readonly runs: SectionRuns;
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const STDERR_TAIL = 2000;

/** One child: its workload and the environment that narrows the run to it. */
interface Part {
  readonly workload: Workload;
  readonly env: Readonly<Record<string, string>>;
}

/** The whole round runs one child per size: a large size then starts on a fresh heap too. */
function parts(config: BenchConfig): Part[] {
  const out: Part[] = [];
  for (const w of config.only) {
    if (w === "round")
      for (const n of config.roundSizes)
        out.push({ workload: w, env: { BENCH_ONLY: w, BENCH_ROUND_SIZES: String(n) } });
    else out.push({ workload: w, env: { BENCH_ONLY: w } });
  }
  return out;
}

function runChild(part: Part, out: string): Promise<{ code: number | null; tail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, MAIN], {
      env: { ...process.env, ...part.env, BENCH_CHILD_OUT: out },
      stdio: ["ignore", "inherit", "pipe"],
    });
    // A parent stopped by a signal (a timeout, Ctrl-C) takes its child down with it.
    const stop = (signal: NodeJS.Signals): void => {
      child.kill("SIGKILL");
      process.kill(process.pid, signal);
    };
    const onSignal = { SIGINT: () => stop("SIGINT"), SIGTERM: () => stop("SIGTERM") };
    process.once("SIGINT", onSignal.SIGINT);
    process.once("SIGTERM", onSignal.SIGTERM);
    let tail = "";
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      process.off("SIGINT", onSignal.SIGINT);
      process.off("SIGTERM", onSignal.SIGTERM);
      resolve({ code, tail });
    });
  });
}

/** Two runs of one section (the whole round's sizes) as one: first start, summed time, outer loads. */
function joinRuns(a: SectionRun, b: SectionRun): SectionRun {
  const failed = [a.failed, b.failed].filter((f) => f !== undefined).join("; ");
  return {
    date: a.date,
    seconds: Math.round((a.seconds + b.seconds) * 10) / 10,
    source: a.source,
    load: a.load === null || b.load === null ? null : [a.load[0], b.load[1]],
    process: "own",
    ...(failed === "" ? {} : { failed }),
  };
}

function joinResults(into: Record<string, unknown>, w: Workload, from: SectionResults): void {
  const field = SECTION_FIELD[w];
  const value = from[field];
  const prev = into[field];
  into[field] = Array.isArray(prev) && Array.isArray(value) ? [...prev, ...value] : value;
}

/**
 * Runs every workload of `config.only` in a child process of its own (the whole round, one per
 * size): a section starts on a fresh heap, whatever the sections before it left (Loro's wasm
 * memory, retained documents, JIT state), and a section whose process dies is recorded as failed
 * while the others still run. Children inherit this process's flags and environment.
 */
export async function runIsolated(config: BenchConfig, log: (msg: string) => void): Promise<ChildOutput> {
  const dir = mkdtempSync(join(tmpdir(), "converge-bench-"));
  const results: Record<string, unknown> = { ...NO_RESULTS };
  const runs: SectionRuns = {};
  try {
    for (const [i, part] of parts(config).entries()) {
      const out = join(dir, `part-${i}.json`);
      const end = startSection("own");
      log(
        `${part.workload}: child process (${Object.entries(part.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")})`,
      );
      const { code, tail } = await runChild(part, out);
      let run: SectionRun;
      if (code === 0) {
        // Our own child's document, written by main.ts with this shape.
        const child = JSON.parse(readFileSync(out, "utf8")) as ChildOutput;
        joinResults(results, part.workload, child.results);
        run = child.runs[part.workload] ?? end();
      } else {
        run = end(`exit ${code ?? "by signal"}: ${tail.trim().split("\n").slice(-6).join(" | ")}`);
        log(`${part.workload}: FAILED (${run.failed})`);
      }
      const prev = runs[part.workload];
      runs[part.workload] = prev === undefined ? run : joinRuns(prev, run);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { results: results as unknown as SectionResults, runs };
}
