/**
 * converge's scale-out through Redis side by side with Hocuspocus and its Redis extension, on
 * 127.0.0.1, alone:
 *
 *   pnpm --filter @converge/bench run bench:cluster
 *   BENCH_QUICK=1 pnpm --filter @converge/bench run bench:cluster     (smoke sizes)
 *
 * (`pnpm bench` runs the same section among the others; BENCH_ONLY=cluster runs only it there.)
 * Prints the tables and a JSON document, written to BENCH_OUT (default bench/results.cluster.json;
 * never bench/results.json, which only the full run writes). Settings (environment):
 *   BENCH_CLUSTER_SYSTEMS=converge,hocuspocus   systems to run
 *   BENCH_CLUSTER_SERVERS=1,2,3        server processes, one configuration each
 *   BENCH_CLUSTER_CLIENTS=60           clients on the one document, spread evenly over the servers
 *   BENCH_CLUSTER_RATE=4               paced phase: writes per second per client
 *   BENCH_CLUSTER_PACED_S=5            paced phase length
 *   BENCH_CLUSTER_BURST_S=3            burst phase length (every client at its in-flight cap; 0 skips)
 *   BENCH_CLUSTER_INFLIGHT=8           unacknowledged writes a client may have
 *   BENCH_CLUSTER_OBSERVERS=2          clients of the last server recording arrival times
 *   BENCH_CLUSTER_REPS=3               repetitions (a fresh Redis FLUSHALL and fresh servers each run)
 *   BENCH_CLUSTER_BUDGET_S=300         a repetition starts only if the run projects within this
 *   BENCH_CLUSTER_CONNECT_CONCURRENCY=20   clients connecting at once
 *   BENCH_CLUSTER_TIMEOUT_S=60         longest single wait; a run past it is reported as timed out
 *   CONVERGE_REDIS_SERVER=path         the redis-server binary (default: the PATH's, Debian's package
 *                                      redis-server), as for the workspace's Redis tests
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config.ts";
import { machineInfo } from "../machine.ts";
import { renderHeader, renderTargets } from "../sections.ts";
import { sourceInfo } from "../source-info.ts";
import { loadClusterConfig } from "./cluster-config.ts";
import { clusterTargets } from "./cluster-targets.ts";
import { renderCluster } from "./render-cluster.ts";
import { runCluster } from "./run-cluster.ts";

const started = performance.now();
const log = (msg: string): void => {
  process.stderr.write(
    `[bench:cluster ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`,
  );
};
const print = (text: string): void => {
  process.stdout.write(`${text}\n\n`);
};

const config = loadClusterConfig(process.env);
const machine = machineInfo();
const source = sourceInfo();
print(renderHeader(machine, source, loadConfig(process.env)));
const cluster = await runCluster(config, log);
print(renderCluster(cluster, machine.cores));
const targets = clusterTargets(cluster);
if (targets.length > 0) print(renderTargets(targets));
const totalSeconds = (performance.now() - started) / 1000;
const json = JSON.stringify(
  {
    benchmark: "converge cluster",
    date: new Date().toISOString(),
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    machine,
    source,
    config: { ...config, out: relative(fileURLToPath(new URL("../..", import.meta.url)), config.out) },
    cluster,
    targets,
  },
  null,
  2,
);
writeFileSync(config.out, `${json}\n`);
print(`JSON (also written to ${config.out}):\n${json}`);
log(`done in ${totalSeconds.toFixed(1)} s`);
