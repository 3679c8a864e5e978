/** What the hardening tests of `converge verify` share: the binary, the seed, temporary scripts. */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { VerifyReport } from "../src/index.ts";

/** The `converge` binary. */
export const bin: string = fileURLToPath(new URL("../bin/converge.js", import.meta.url));
/** The run's seed (`CONVERGE_SEED`, else 1). */
export const seed: number = Number(process.env["CONVERGE_SEED"] ?? 1);
/** A temporary folder of this test file's scripts and reports. */
export const dir: string = mkdtempSync(join(tmpdir(), "converge-verify-"));
let n = 0;
/** Writes a script to a temporary file; returns its path. */
export function script(source: string): string {
  const file = join(dir, `script-${n++}.js`);
  writeFileSync(file, source);
  return file;
}
/** Runs the `converge` binary in a child process, timed. */
export function run(...args: string[]): SpawnSyncReturns<string> & { ms: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, CONVERGE_CLI_CHILD: "" },
    timeout: 60_000,
  });
  return { ...r, ms: performance.now() - t };
}
/** The laws a report says fail. */
export const failing = (r: VerifyReport): string[] => r.laws.filter((l) => !l.ok).map((l) => l.law);

/** A merge that counts its calls: every two-value law passes it, the fold law does not. */
export const COUNTS_CALLS = `export const values = { type: "integer", min: 0, max: 10 };
export function merge(a, b) {
  merge.calls = (merge.calls || 0) + 1;
  return merge.calls > 1 ? a : Math.max(a, b);
}
`;
