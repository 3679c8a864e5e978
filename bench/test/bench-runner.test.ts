import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { ResultsDocument } from "../src/readme.ts";
import { renderReadme } from "../src/readme.ts";

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const CRASH = fileURLToPath(new URL("./fixtures/crash-delta-child.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "bench-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One bench run of tiny sizes; returns the document it wrote. */
async function bench(env: Record<string, string>, preload: readonly string[] = []): Promise<ResultsDocument> {
  const out = join(dir, "results.json");
  await run(
    process.execPath,
    ["--conditions=@converge/source", "--expose-gc", "--no-node-snapshot", ...preload, MAIN],
    {
      env: {
        ...process.env,
        BENCH_QUICK: "1",
        BENCH_HLC_ITERATIONS: "2000",
        BENCH_HLC_REPS: "1",
        BENCH_DELTA_SIZES: "500",
        BENCH_DELTA_REPS: "1",
        BENCH_OUT: out,
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // Our own document, written by main.ts.
  return JSON.parse(readFileSync(out, "utf8")) as ResultsDocument;
}

describe("the bench runner", () => {
  it("runs each section in a process of its own and records when, on what, and under what load", async () => {
    const doc = await bench({ BENCH_ONLY: "hlc,delta" });
    expect(doc.hlc.map((h) => h.op)).toHaveLength(6);
    expect(doc.delta.map((d) => d.keys)).toEqual([500]);
    expect(Object.keys(doc.sections ?? {})).toEqual(["delta", "hlc"]);
    for (const s of Object.values(doc.sections ?? {})) {
      expect(s.process).toBe("own");
      expect(s.failed).toBeUndefined();
      expect(s.load).toHaveLength(2);
      expect(Date.parse(s.date)).toBeLessThanOrEqual(Date.parse(doc.date));
    }
    expect((doc.sections?.delta?.date ?? "~") < (doc.sections?.hlc?.date ?? "")).toBe(true);
  }, 120_000);

  it("records a section whose process dies as failed and still runs the others", async () => {
    const doc = await bench({ BENCH_ONLY: "delta,hlc" }, ["--import", CRASH]);
    expect(doc.delta).toEqual([]);
    expect(doc.sections?.delta?.failed).toMatch(/exit 3.*injected crash of the delta section/);
    expect(doc.hlc).toHaveLength(6);
    expect(doc.sections?.hlc?.failed).toBeUndefined();
    expect(renderReadme(doc)).toMatch(/\| delta \| .* \| FAILED: exit 3/);
  }, 120_000);

  it("with BENCH_KEEP=1 keeps the sections a run does not measure, each with its own run", async () => {
    const first = await bench({ BENCH_ONLY: "delta,hlc" });
    const second = await bench({ BENCH_ONLY: "hlc", BENCH_KEEP: "1" });
    expect(second.delta).toEqual(first.delta);
    expect(second.sections?.delta).toEqual(first.sections?.delta);
    expect((second.sections?.hlc?.date ?? "") > (first.sections?.hlc?.date ?? "~")).toBe(true);
    const fresh = await bench({ BENCH_ONLY: "hlc" });
    expect(fresh.delta).toEqual([]);
    expect(Object.keys(fresh.sections ?? {})).toEqual(["hlc"]);
  }, 180_000);
});
