#!/usr/bin/env node
// The `converge` command. The sandbox (isolated-vm) needs Node's startup snapshot off, so the CLI
// re-runs itself once with --no-node-snapshot. In a workspace checkout it runs the TypeScript
// sources (Node 24 strips types) through the "@converge/source" export condition, so it is never
// a stale build; an installed package runs dist/.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/main.ts", import.meta.url);
const fromSource = existsSync(fileURLToPath(source));
if (process.env.CONVERGE_CLI_CHILD !== "1") {
  const flags = ["--no-node-snapshot", ...(fromSource ? ["--conditions=@converge/source"] : [])];
  const child = spawnSync(
    process.execPath,
    [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: "inherit",
      env: { ...process.env, CONVERGE_CLI_CHILD: "1" },
    },
  );
  process.exit(child.status ?? 70);
} else {
  const entry = fromSource ? source : new URL("../dist/main.js", import.meta.url);
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv.slice(2));
}
