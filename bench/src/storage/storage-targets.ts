import { fmtInt } from "../report.ts";
import type { TargetCheck } from "../targets.ts";
import type { StorageResult } from "./run-storage.ts";

/**
 * The storage issue's goals against this run: ≥ 20,000 acknowledged writes/s with every
 * acknowledged write durable (converge-sqlite-full); ahead of Hocuspocus's SQLite extension's
 * throughput; a document loads from SQLite in ≤ 2× the in-memory `applyState` of its bytes.
 */
export function storageTargets(r: StorageResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const full = r.acks.find((a) => a.system === "converge-sqlite-full");
  const hp = r.acks.find((a) => a.system === "hocuspocus-sqlite");
  out.push(
    full === undefined
      ? { target: "≥ 20,000 durable acks/s", measured: "not measured", met: null }
      : {
          target: "≥ 20,000 durable acks/s",
          measured: `${fmtInt(full.acksPerSec)} acks/s (fsynced)`,
          met: full.acksPerSec >= 20_000,
        },
  );
  out.push(
    full === undefined || hp === undefined || hp.acksPerSec === 0
      ? { target: "durable acks/s ahead of Hocuspocus + SQLite", measured: "not measured", met: null }
      : {
          target: "durable acks/s ahead of Hocuspocus + SQLite",
          measured: `${(full.acksPerSec / hp.acksPerSec).toFixed(2)}× (${fmtInt(full.acksPerSec)} vs ${fmtInt(hp.acksPerSec)}, whose acks are not durable)`,
          met: full.acksPerSec > hp.acksPerSec,
        },
  );
  const l = r.load;
  if (l !== null) {
    const x = l.converge.loadMs / l.converge.applyMs;
    out.push({
      target: `load ${fmtInt(l.keys)} keys from SQLite ≤ 2× in-memory applyState`,
      measured: `${x.toFixed(2)}× (${l.converge.loadMs.toFixed(0)} ms vs ${l.converge.applyMs.toFixed(0)} ms)`,
      met: x <= 2,
    });
  }
  return out;
}
