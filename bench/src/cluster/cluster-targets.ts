import type { TargetCheck } from "../targets.ts";
import type { ClusterResult } from "./run-cluster.ts";

const ms = (v: number): string => `${v.toFixed(1)} ms`;

/**
 * Issue 14's goal against this run, at every number of servers: converge ahead of Hocuspocus +
 * Redis on acknowledged throughput (burst phase) and on cross-server p99 (paced phase). Not
 * measured (met: null) when either side has no completed run.
 */
export function clusterTargets(r: ClusterResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const size of r.sizes) {
    const c = size.results.find((s) => s.system === "converge" && s.ok > 0)?.median;
    const h = size.results.find((s) => s.system === "hocuspocus" && s.ok > 0)?.median;
    const at = `cluster ${size.servers} server${size.servers === 1 ? "" : "s"}`;
    const cOps = c?.burstAckedPerSec;
    const hOps = h?.burstAckedPerSec;
    const throughput = `${at}: converge acknowledged ops/s > Hocuspocus + Redis's`;
    out.push(
      cOps == null || hOps == null || hOps === 0
        ? { target: throughput, measured: "not measured", met: null }
        : {
            target: throughput,
            measured: `${(cOps / hOps).toFixed(2)}× (${cOps.toFixed(0)} vs ${hOps.toFixed(0)} /s)`,
            met: cOps > hOps,
          },
    );
    const cP99 = c?.pacedP99Ms;
    const hP99 = h?.pacedP99Ms;
    const latency = `${at}: converge cross-server p99 < Hocuspocus + Redis's`;
    out.push(
      cP99 == null || hP99 == null
        ? { target: latency, measured: "not measured", met: null }
        : { target: latency, measured: `${ms(cP99)} vs ${ms(hP99)}`, met: cP99 < hP99 },
    );
  }
  return out;
}
