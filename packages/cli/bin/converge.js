#!/usr/bin/env node
// The `converge` command. The sandbox (isolated-vm) needs Node's startup snapshot off, so the CLI
// re-runs itself once with --no-node-snapshot. In a workspace checkout it runs the TypeScript
// sources (Node 24 strips types) through the "@converge/source" export condition, so it is never
// a stale build; an installed package runs dist/.
//
// `converge serve` runs until a signal: the re-run is asynchronous and SIGINT / SIGTERM are passed on
// to it, so stopping this process stops the server cleanly (and its exit code is this one's).
//
// If that run is killed by a signal (a script the sandbox did not contain took the process down),
// it runs once more with CONVERGE_CLI_CRASHED set: that run loads nothing and reports the crash as
// a sandbox verdict (exit 3, in the output format asked for) instead of a bare signal.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const source = new URL("../src/main.ts", import.meta.url);
const fromSource = existsSync(fileURLToPath(source));
if (process.env.CONVERGE_CLI_CHILD !== "1") {
  const flags = ["--no-node-snapshot", ...(fromSource ? ["--conditions=@converge/source"] : [])];
  const args = [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  if (process.argv[2] === "serve") {
    const child = spawn(process.execPath, args, {
      stdio: "inherit",
      env: { ...process.env, CONVERGE_CLI_CHILD: "1" },
    });
    for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
    child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 70 : 1)));
  } else {
    runOnce(args);
  }
} else {
  const entry = fromSource ? source : new URL("../dist/main.js", import.meta.url);
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv.slice(2));
}

function runOnce(args) {
  // The run notes its seed and current law here, for the report of a crash.
  const notes = mkdtempSync(join(tmpdir(), "converge-cli-"));
  const env = {
    ...process.env,
    CONVERGE_CLI_CHILD: "1",
    CONVERGE_CLI_PROGRESS: join(notes, "progress.json"),
  };
  let child = spawnSync(process.execPath, args, { stdio: "inherit", env });
  if (child.signal !== null && process.argv[2] === "verify") {
    child = spawnSync(process.execPath, args, {
      stdio: "inherit",
      env: { ...env, CONVERGE_CLI_CRASHED: `signal ${child.signal}` },
    });
  }
  rmSync(notes, { recursive: true, force: true });
  process.exit(child.status ?? 70);
}
