import { fmtCount, fmtInt } from "../report.ts";
import type { TargetCheck } from "../targets.ts";
import type { Summary, SyncResult } from "./run-sync.ts";

function ok<S>(list: readonly Summary<S>[], system: string): Summary<S> | undefined {
  return list.find((s) => s.system === system && s.ok > 0);
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;

/**
 * The sync goals against this run: ≥ 5× Hocuspocus's fan-out throughput at an equal or
 * lower p99; catch-up bytes ≤ Yjs's (the smaller of Hocuspocus's and y-websocket's); ≤ 1/3 of
 * Hocuspocus's server memory per idle document. Not measured (met: null) when a side is missing.
 */
export function syncTargets(r: SyncResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const f of r.fanout) {
    const c = ok(f.results, "converge")?.median;
    const h = ok(f.results, "hocuspocus")?.median;
    const target = `sync fan-out ${fmtInt(f.clients)} clients: converge ≥ 5× Hocuspocus's ops/s at an equal or lower p99`;
    const cOps = c?.opsPerSec;
    const hOps = h?.opsPerSec;
    const cP99 = c?.latencyP99Ms;
    const hP99 = h?.latencyP99Ms;
    if (cOps == null || hOps == null || cP99 == null || hP99 == null || hOps === 0) {
      out.push({ target, measured: "not measured", met: null });
      continue;
    }
    const x = cOps / hOps;
    out.push({
      target,
      measured: `${x.toFixed(2)}× ops/s; p99 ${ms(cP99)} vs ${ms(hP99)}`,
      met: x >= 5 && cP99 <= hP99,
    });
  }
  if (r.catchup !== null) {
    const c = ok(r.catchup.results, "converge")?.median.totalBytes;
    const yjs = ["hocuspocus", "y-websocket"]
      .map((s) => ok(r.catchup?.results ?? [], s)?.median.totalBytes)
      .filter((v): v is number => v != null);
    const target = `sync catch-up ${fmtCount(r.catchup.keys)} keys: converge bytes on the wire ≤ Yjs's`;
    out.push(
      c == null || yjs.length === 0
        ? { target, measured: "not measured", met: null }
        : {
            target,
            measured: `${fmtInt(c)} B vs ${fmtInt(Math.min(...yjs))} B`,
            met: c <= Math.min(...yjs),
          },
    );
  }
  if (r.idle !== null) {
    const c = ok(r.idle.results, "converge")?.median.serverBytesPerDocument;
    const h = ok(r.idle.results, "hocuspocus")?.median.serverBytesPerDocument;
    const target = `sync idle ${fmtInt(r.idle.documents)} documents: converge server memory per document ≤ 1/3 of Hocuspocus's`;
    out.push(
      c == null || h == null || h <= 0
        ? { target, measured: "not measured", met: null }
        : { target, measured: `${(c / h).toFixed(2)}× Hocuspocus's`, met: c / h <= 1 / 3 },
    );
  }
  return out;
}
