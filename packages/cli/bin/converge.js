#!/usr/bin/env node
// The `converge` command. The sandbox (isolated-vm) needs Node's startup snapshot off, so the CLI
// re-runs itself once with --no-node-snapshot; inside the workspace it also runs the TypeScript
// sources (Node 24 strips types) through the "@converge/source" export condition.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/main.js", import.meta.url);
if (process.env.CONVERGE_CLI_CHILD !== "1") {
  const flags = ["--no-node-snapshot"];
  if (!existsSync(fileURLToPath(built))) flags.push("--conditions=@converge/source");
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
  const entry = existsSync(fileURLToPath(built)) ? built : new URL("../src/main.ts", import.meta.url);
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv.slice(2));
}
