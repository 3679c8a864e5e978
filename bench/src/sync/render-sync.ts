import { fmtBytes, fmtCount, fmtInt, fmtMs, fmtOps, fmtRatio, ratio, renderTable } from "../report.ts";
import type { FanoutSize, Summary, SyncResult } from "./run-sync.ts";

const R = "right" as const;

const num = (v: number | null | undefined, f: (v: number) => string): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "-" : f(v);

const bytes = (v: number | null | undefined): string => num(v, (b) => fmtBytes(Math.max(0, Math.round(b))));

/** Completed runs, "ok/reps" when some failed or were skipped after a timeout. */
function runs<S>(s: Summary<S>, reps: number): string {
  return s.ok === reps ? `${s.ok}` : `${s.ok}/${reps}`;
}

function find<S>(list: readonly Summary<S>[], system: string): Summary<S> | undefined {
  return list.find((s) => s.system === system && s.ok > 0);
}

function renderFanout(f: FanoutSize, r: SyncResult): string {
  const hocus = find(f.results, "hocuspocus")?.median.opsPerSec;
  const ops = f.clients * f.writesPerClient;
  return renderTable(
    `Sync fan-out: one document, ${fmtInt(f.clients)} clients × ${fmtInt(f.writesPerClient)} writes (${fmtInt(ops)} ops, each relayed to the ${fmtInt(f.clients - 1)} other clients); window ${r.window > 0 ? `${r.window} rounds` : "unbounded"}; latency at ${Math.min(r.observers, f.clients)} observer clients; median of ${r.reps} run(s), a fresh server child each`,
    [
      { header: "system" },
      { header: "ops/s", align: R },
      { header: "deliveries/s", align: R },
      { header: "p50", align: R },
      { header: "p99", align: R },
      { header: "server CPU/op", align: R },
      { header: "server CPU/delivery", align: R },
      { header: "server mem/client", align: R },
      { header: "RSS/client", align: R },
      { header: "ops/s / Hocuspocus", align: R },
      { header: "runs", align: R },
      { header: "note" },
    ],
    f.results.map((s) => {
      const m = s.median;
      return [
        s.impl,
        num(m.opsPerSec, fmtOps),
        num(m.deliveriesPerSec, fmtOps),
        num(m.latencyP50Ms, fmtMs),
        num(m.latencyP99Ms, fmtMs),
        num(m.serverCpuUsPerOp, (v) => `${v.toFixed(1)} µs`),
        num(m.serverCpuUsPerDelivery, (v) => `${v.toFixed(2)} µs`),
        bytes(m.serverBytesPerClient),
        bytes(m.serverRssPerClient),
        fmtRatio(ratio(m.opsPerSec, hocus)),
        runs(s, r.reps),
        [s.note, (m.reconnects ?? 0) > 0 ? `${m.reconnects} unrequested reconnects` : ""]
          .filter(Boolean)
          .join("; "),
      ];
    }),
  );
}

function renderCatchup(r: SyncResult): string | null {
  const c = r.catchup;
  if (c === null) return null;
  const yjs = Math.min(
    ...["hocuspocus", "y-websocket"].map(
      (s) => find(c.results, s)?.median.totalBytes ?? Number.POSITIVE_INFINITY,
    ),
  );
  return renderTable(
    `Sync catch-up: a client offline while all ${fmtCount(c.keys)} keys of its document change reconnects; bytes counted on its TCP socket (upgrade, framing, payload, both ways); time from reconnect until it holds every new value; median of ${r.reps} run(s)`,
    [
      { header: "system" },
      { header: "bytes", align: R },
      { header: "sent", align: R },
      { header: "received", align: R },
      { header: "bytes/key", align: R },
      { header: "bytes / Yjs's", align: R },
      { header: "time to synced", align: R },
      { header: "runs", align: R },
      { header: "note" },
    ],
    c.results.map((s) => {
      const m = s.median;
      return [
        s.impl,
        num(m.totalBytes, fmtInt),
        num(m.upBytes, fmtInt),
        num(m.downBytes, fmtInt),
        num(m.totalBytes, (b) => (b / c.keys).toFixed(1)),
        fmtRatio(ratio(m.totalBytes, Number.isFinite(yjs) ? yjs : null)),
        num(m.syncMs, fmtMs),
        runs(s, r.reps),
        s.note,
      ];
    }),
  );
}

function renderIdle(r: SyncResult): string | null {
  const d = r.idle;
  if (d === null) return null;
  const hocus = find(d.results, "hocuspocus")?.median.serverBytesPerDocument;
  return renderTable(
    `Sync idle documents: ${fmtInt(d.documents)} documents, one client each (default presence), one key written per document; server memory after GC, minus before any, per document; median of ${r.idleReps} run(s)`,
    [
      { header: "system" },
      { header: "server mem/doc", align: R },
      { header: "RSS/doc", align: R },
      { header: "mem / Hocuspocus", align: R },
      { header: "open all", align: R },
      { header: "runs", align: R },
      { header: "note" },
    ],
    d.results.map((s) => {
      const m = s.median;
      return [
        s.impl,
        bytes(m.serverBytesPerDocument),
        bytes(m.serverRssPerDocument),
        fmtRatio(ratio(m.serverBytesPerDocument, hocus)),
        num(m.connectMs, fmtMs),
        runs(s, r.idleReps),
        [s.note, (m.reconnects ?? 0) > 0 ? `${m.reconnects} unrequested reconnects` : ""]
          .filter(Boolean)
          .join("; "),
      ];
    }),
  );
}

/** The sync section: fan-out tables (one per size), catch-up, idle documents. */
export function renderSync(r: SyncResult): string {
  const parts = [...r.fanout.map((f) => renderFanout(f, r)), renderCatchup(r), renderIdle(r)];
  return parts.filter((p): p is string => p !== null).join("\n\n");
}
