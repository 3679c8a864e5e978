/**
 * converge sync side by side with Hocuspocus and y-websocket, on 127.0.0.1, alone:
 *
 *   pnpm --filter @converge/bench run bench:sync
 *   BENCH_QUICK=1 pnpm --filter @converge/bench run bench:sync     (smoke sizes)
 *
 * (`pnpm bench` runs the same section among the others; BENCH_ONLY=sync runs only it there.)
 * Prints the tables and a JSON document, written to BENCH_OUT (default bench/results.sync.json;
 * never bench/results.json, which only the full run writes). Settings (environment):
 *   BENCH_SYNC_SYSTEMS=converge,hocuspocus,y-websocket   systems to run
 *   BENCH_SYNC_CLIENTS=100,1000       fan-out sizes (clients on one document)
 *   BENCH_SYNC_WRITES=20              fan-out writes per client, at most
 *   BENCH_SYNC_DELIVERIES=1000000     fan-out bound on writes × (clients − 1) per run
 *   BENCH_SYNC_WINDOW=4               fan-out rounds in flight (0: unbounded burst)
 *   BENCH_SYNC_OBSERVERS=4            fan-out clients recording arrival times
 *   BENCH_SYNC_CATCHUP_KEYS=100000    catch-up keys changed while offline (0 skips)
 *   BENCH_SYNC_CATCHUP_BATCH=1000     catch-up keys per writer transaction
 *   BENCH_SYNC_IDLE_DOCS=10000        idle documents, one client each (0 skips)
 *   BENCH_SYNC_REPS=3, BENCH_SYNC_IDLE_REPS=1   repetitions (a fresh server child each)
 *   BENCH_SYNC_CONNECT_CONCURRENCY=50 clients connecting at once
 *   BENCH_SYNC_TIMEOUT_S=120          longest single wait; a run past it is reported as timed out
 *                                     (and that system's later repetitions at that size are skipped)
 *   BENCH_SYNC_SERVER_PROF=dir        every server child writes a V8 CPU profile into dir
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config.ts";
import { machineInfo } from "../machine.ts";
import { renderHeader, renderTargets } from "../sections.ts";
import { sourceInfo } from "../source-info.ts";
import { renderSync } from "./render-sync.ts";
import { runSync } from "./run-sync.ts";
import { loadSyncConfig } from "./sync-config.ts";
import { syncTargets } from "./sync-targets.ts";

const started = performance.now();
const log = (msg: string): void => {
  process.stderr.write(
    `[bench:sync ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`,
  );
};
const print = (text: string): void => {
  process.stdout.write(`${text}\n\n`);
};

const config = loadSyncConfig(process.env);
const machine = machineInfo();
const source = sourceInfo();
print(renderHeader(machine, source, loadConfig(process.env)));
const sync = await runSync(config, log);
print(renderSync(sync));
const targets = syncTargets(sync);
if (targets.length > 0) print(renderTargets(targets));
const totalSeconds = (performance.now() - started) / 1000;
const json = JSON.stringify(
  {
    benchmark: "converge sync",
    date: new Date().toISOString(),
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    machine,
    source,
    config: { ...config, out: relative(fileURLToPath(new URL("../..", import.meta.url)), config.out) },
    sync,
    targets,
  },
  null,
  2,
);
writeFileSync(config.out, `${json}\n`);
print(`JSON (also written to ${config.out}):\n${json}`);
log(`done in ${totalSeconds.toFixed(1)} s`);
