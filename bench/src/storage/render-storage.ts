import { fmtBytes, fmtMs, fmtOps, fmtRatio, ratio, renderTable } from "../report.ts";
import type { StorageResult } from "./run-storage.ts";

/** The storage section: acknowledged writes per system, then the large-document load. */
export function renderStorage(r: StorageResult): string {
  const parts: string[] = [];
  const base = r.acks.find((a) => a.system === "hocuspocus-sqlite");
  if (r.acks.length > 0)
    parts.push(
      `${renderTable(
        `8. Durable writes: ${r.clients} clients over WebSocket, each on its own document, each keeping ${r.window} writes in flight, ${r.seconds} s; median of ${r.acks[0]?.reps ?? 0} runs (a fresh server child and data dir each)`,
        [
          { header: "server" },
          { header: "acks/s", align: "right" },
          { header: "/ hocuspocus-sqlite", align: "right" },
          { header: "ack p50", align: "right" },
          { header: "ack p99", align: "right" },
          { header: "server CPU/ack", align: "right" },
          { header: "an ack means" },
        ],
        r.acks.map((a) => [
          a.system,
          fmtOps(a.acksPerSec),
          fmtRatio(ratio(a.acksPerSec, base?.acksPerSec)),
          fmtMs(a.p50Ms),
          fmtMs(a.p99Ms),
          a.serverCpuUsPerAck === null ? "–" : `${a.serverCpuUsPerAck.toFixed(1)} µs`,
          a.ackMeans,
        ]),
      )}`,
    );
  const l = r.load;
  if (l !== null)
    parts.push(
      `${renderTable(
        `9. Loading a ${l.keys.toLocaleString("en-US")}-key document from SQLite against applying the same bytes in memory; median of ${l.reps}`,
        [
          { header: "system" },
          { header: "state", align: "right" },
          { header: "load from SQLite", align: "right" },
          { header: "apply in memory", align: "right" },
          { header: "load / apply", align: "right" },
        ],
        [
          [
            "converge (sqliteStore + loadReplica)",
            fmtBytes(l.converge.stateBytes),
            fmtMs(l.converge.loadMs),
            fmtMs(l.converge.applyMs),
            fmtRatio(ratio(l.converge.loadMs, l.converge.applyMs)),
          ],
          [
            "Hocuspocus SQLite extension + Yjs",
            fmtBytes(l.hocuspocus.stateBytes),
            fmtMs(l.hocuspocus.loadMs),
            fmtMs(l.hocuspocus.applyMs),
            fmtRatio(ratio(l.hocuspocus.loadMs, l.hocuspocus.applyMs)),
          ],
        ],
      )}\n   the loaded replica's state equals the applied one byte for byte: ${l.converge.sameState ? "yes" : "NO"}`,
    );
  return parts.join("\n\n");
}
