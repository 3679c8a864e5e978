/**
 * Durable storage side by side with Hocuspocus's SQLite extension, on 127.0.0.1, alone:
 *
 *   pnpm --filter @converge/bench run bench:storage
 *   BENCH_QUICK=1 pnpm --filter @converge/bench run bench:storage     (smoke sizes)
 *
 * (`pnpm bench` runs the same section among the others; BENCH_ONLY=storage runs only it there.)
 * Prints the tables and a JSON document, written to BENCH_OUT (default bench/results.storage.json).
 * Settings (environment):
 *   BENCH_STORAGE_SYSTEMS=converge-sqlite-full,converge-sqlite-main,converge-sqlite-normal,converge-memory,hocuspocus-sqlite,hocuspocus-memory
 *   BENCH_STORAGE_CLIENTS=20      writers, each on its own document
 *   BENCH_STORAGE_WINDOW=16       writes each keeps in flight (unacknowledged) at most
 *   BENCH_STORAGE_SECONDS=8       writing time per run
 *   BENCH_STORAGE_REPS=3          runs per system (a fresh server child and data dir each)
 *   BENCH_STORAGE_LOAD_KEYS=1000000   keys of the loaded document (0 skips the load workload)
 *   BENCH_STORAGE_TIMEOUT_S=60    longest single wait
 *   BENCH_STORAGE_SERVER_PROF=dir every server child writes a V8 CPU profile into dir
 * Hocuspocus's extension needs better-sqlite3 built for this Node: the first run builds it
 * (see native-sqlite.ts).
 */
import { writeFileSync } from "node:fs";
import { loadConfig } from "../config.ts";
import { machineInfo } from "../machine.ts";
import { renderHeader, renderTargets } from "../sections.ts";
import { sourceInfo } from "../source-info.ts";
import { renderStorage } from "./render-storage.ts";
import { runStorage } from "./run-storage.ts";
import { loadStorageConfig } from "./storage-config.ts";
import { storageTargets } from "./storage-targets.ts";

const started = performance.now();
const log = (msg: string): void => {
  process.stderr.write(
    `[bench:storage ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`,
  );
};
const config = loadStorageConfig(process.env);
const machine = machineInfo();
const source = sourceInfo();
process.stdout.write(`${renderHeader(machine, source, loadConfig(process.env))}\n\n`);
const storage = await runStorage(config, log);
process.stdout.write(`${renderStorage(storage)}\n\n`);
const targets = storageTargets(storage);
process.stdout.write(`${renderTargets(targets)}\n\n`);
const json = JSON.stringify(
  { benchmark: "converge storage", date: new Date().toISOString(), machine, source, storage, targets },
  null,
  2,
);
writeFileSync(config.out, `${json}\n`);
process.stdout.write(`JSON (also written to ${config.out}):\n${json}\n`);
log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
