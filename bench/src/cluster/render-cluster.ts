import { fmtBytes, fmtInt, fmtMs, fmtOps, fmtRatio, ratio, renderTable } from "../report.ts";
import type { Summary } from "../sync/run-sync.ts";
import type { ClusterSample } from "./cluster-sample.ts";
import type { ClusterResult, ClusterSize } from "./run-cluster.ts";

const R = "right" as const;

type Median = Summary<ClusterSample>["median"];

const num = (v: number | null | undefined, f: (v: number) => string): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "-" : f(v);

const us = (v: number | null | undefined): string => num(v, (x) => `${x.toFixed(1)} µs`);

function runs(s: Summary<ClusterSample>, r: ClusterResult): string {
  return s.ok === r.repsRun ? `${s.ok}` : `${s.ok}/${s.samples.length}`;
}

function hocuspocus(size: ClusterSize): Median | undefined {
  return size.results.find((s) => s.system === "hocuspocus" && s.ok > 0)?.median;
}

function rows(r: ClusterResult, cells: (m: Median, size: ClusterSize) => string[]): string[][] {
  const out: string[][] = [];
  for (const size of r.sizes) {
    for (const s of size.results) {
      const reconnects =
        (s.median.reconnects ?? 0) > 0 ? `${s.median.reconnects} unrequested reconnects` : "";
      const downs = s.samples.reduce((n, x) => n + (x.hubDowns ?? 0), 0);
      const circuit = downs > 0 ? `hub circuit opened ${downs}× over ${s.samples.length} run(s)` : "";
      out.push([
        String(size.servers),
        s.impl,
        ...cells(s.median, size),
        runs(s, r),
        [s.note, reconnects, circuit].filter(Boolean).join("; "),
      ]);
    }
  }
  return out;
}

/** The load-average sentence, when the result has one. */
function load(r: ClusterResult, cores: number): string {
  const l = r.loadAverage;
  if (l === undefined) return "";
  const busy = Math.max(l[0], l[1]) > cores;
  return ` Load average ${l[0].toFixed(1)} at the start, ${l[1].toFixed(1)} at the end${busy ? ": other work shared the cores, so absolute times and rates are inflated; compare the systems within this run (they alternate run by run), and CPU per op." : "."}`;
}

/** Where a write is written and where it is observed, for N servers. */
function path(servers: number): string {
  return servers === 1 ? "same server" : `server 1 → server ${servers}`;
}

/**
 * The cluster section: the paced phase (latency across servers), the burst phase (throughput),
 * and what Redis carried and kept; with what a machine of `cores` cores can show.
 */
export function renderCluster(r: ClusterResult, cores: number): string {
  const per = r.sizes.map((s) => `${s.servers}: ${r.clients / s.servers}`).join(", ");
  const paced = renderTable(
    `Cluster, paced: one document, ${fmtInt(r.clients)} clients over N servers (clients per server ${per}), each writing ${r.rate}/s for ${(r.pacedMs / 1000).toFixed(0)} s; latency from a write on a client of server 1 to its change event on one of ${r.observers} clients of server N; median of ${r.repsRun} run(s)`,
    [
      { header: "servers" },
      { header: "system" },
      { header: "acked ops/s", align: R },
      { header: "p50", align: R },
      { header: "p99", align: R },
      { header: "max", align: R },
      { header: "p99 / Hocuspocus", align: R },
      { header: "server CPU/op", align: R },
      { header: "server CPU/delivery", align: R },
      { header: "clients' CPU/op", align: R },
      { header: "skipped", align: R },
      { header: "runs", align: R },
      { header: "note" },
    ],
    rows(r, (m, size) => [
      num(m.pacedAckedPerSec, fmtOps),
      num(m.pacedP50Ms, fmtMs),
      num(m.pacedP99Ms, fmtMs),
      num(m.pacedMaxMs, fmtMs),
      fmtRatio(ratio(m.pacedP99Ms, hocuspocus(size)?.pacedP99Ms)),
      us(m.pacedServerCpuUsPerOp),
      us(m.pacedServerCpuUsPerDelivery),
      us(m.pacedClientCpuUsPerOp),
      num(m.pacedSkipped, fmtInt),
    ]),
  );
  const parts = [paced];
  if (r.burstMs > 0) {
    parts.push(
      renderTable(
        `Cluster, burst: every client keeps ${r.inflight} unacknowledged writes for ${(r.burstMs / 1000).toFixed(0)} s; acked ops/s = writes the servers acknowledged in the window ÷ its length; visible ops/s = remote changes all clients saw in the window ÷ (clients − 1) ÷ its length; latency as above (${path(2)}, …)`,
        [
          { header: "servers" },
          { header: "system" },
          { header: "acked ops/s", align: R },
          { header: "acked / Hocuspocus", align: R },
          { header: "visible ops/s", align: R },
          { header: "p50", align: R },
          { header: "p99", align: R },
          { header: "drain", align: R },
          { header: "server CPU/op", align: R },
          { header: "server CPU/delivery", align: R },
          { header: "clients' CPU/op", align: R },
          { header: "runs", align: R },
          { header: "note" },
        ],
        rows(r, (m, size) => [
          num(m.burstAckedPerSec, fmtOps),
          fmtRatio(ratio(m.burstAckedPerSec, hocuspocus(size)?.burstAckedPerSec)),
          num(m.burstVisiblePerSec, fmtOps),
          num(m.burstP50Ms, fmtMs),
          num(m.burstP99Ms, fmtMs),
          num(m.burstDrainMs, fmtMs),
          us(m.burstServerCpuUsPerOp),
          us(m.burstServerCpuUsPerDelivery),
          us(m.burstClientCpuUsPerOp),
        ]),
      ),
    );
  }
  parts.push(
    renderTable(
      `Cluster, Redis: its CPU and traffic (INFO, both directions) per write, per phase; what it holds at the end (used_memory minus right after the FLUSHALL before the run; keys; streams and their entries); redis-server ${r.redisVersion ?? "?"}`,
      [
        { header: "servers" },
        { header: "system" },
        { header: "Redis CPU/op paced", align: R },
        { header: "Redis bytes/op paced", align: R },
        { header: "Redis CPU/op burst", align: R },
        { header: "Redis bytes/op burst", align: R },
        { header: "memory at end", align: R },
        { header: "keys", align: R },
        { header: "streams", align: R },
        { header: "stream entries", align: R },
        { header: "runs", align: R },
        { header: "note" },
      ],
      rows(r, (m) => [
        us(m.pacedRedisCpuUsPerOp),
        num(m.pacedRedisBytesPerOp, (b) => fmtInt(b)),
        us(m.burstRedisCpuUsPerOp),
        num(m.burstRedisBytesPerOp, (b) => fmtInt(b)),
        num(m.redisMemoryBytes, (b) => fmtBytes(Math.max(0, b))),
        num(m.redisKeys, fmtInt),
        num(m.redisStreams, fmtInt),
        num(m.redisStreamEntries, fmtInt),
      ]),
    ),
  );
  parts.push(
    `What this machine can show: ${cores} core(s) run the bench driver (every client), every server process and redis-server at once, so more server processes add work (each relays every write to its own clients and to Redis) without adding cores. These rows measure the overhead of going through Redis and of each extra server, not scale-out; throughput that grows with servers needs a core (or a machine) per server.${load(r, cores)}${r.note === "" ? "" : ` Note: ${r.note}.`}`,
  );
  return parts.join("\n\n");
}
