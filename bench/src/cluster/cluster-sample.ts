import type { ClusterSystem } from "./cluster-config.ts";

/** What one measured phase (paced or burst) of a cluster run yields. */
export interface PhaseMeasures {
  /** Writes the clients made during the phase's window. */
  readonly writes: number;
  /** Paced only: writes that came due while their client was at its in-flight cap, not made. */
  readonly skipped: number;
  /** Writes the servers had acknowledged by the window's end, per second of window. */
  readonly ackedPerSec: number | null;
  /** Remote changes all clients saw during the window, ÷ (clients − 1), per second: writes visible everywhere. */
  readonly visiblePerSec: number | null;
  /** A write on a client of server 1 → its change event on an observer client of the last server (same process, `performance.now()`). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly samples: number;
  /** After the window: until every client had seen every write and every write was acknowledged. */
  readonly drainMs: number | null;
  /** CPU (user + system) of every server process, from the phase's start until it drained, ÷ writes. */
  readonly serverCpuUsPerOp: number | null;
  /** The same ÷ deliveries (writes × (clients − 1)). */
  readonly serverCpuUsPerDelivery: number | null;
  /**
   * CPU (user + system) of the bench process, which runs every client, over the same span ÷
   * writes: what the clients paid per write (sending, acks, and applying its deliveries).
   */
  readonly clientCpuUsPerOp: number | null;
  /** redis-server's CPU over the same span ÷ writes. */
  readonly redisCpuUsPerOp: number | null;
  /** Bytes into and out of Redis (INFO stats) over the same span ÷ writes. */
  readonly redisBytesPerOp: number | null;
}

/** One run of one system with one number of servers. */
export interface ClusterSample {
  readonly system: ClusterSystem;
  readonly servers: number;
  readonly clients: number;
  readonly status: "ok" | "timeout" | "error";
  readonly note: string;
  /** Connecting every client until each had synced. */
  readonly connectMs: number | null;
  readonly pacedWrites: number | null;
  readonly pacedSkipped: number | null;
  readonly pacedAckedPerSec: number | null;
  readonly pacedVisiblePerSec: number | null;
  readonly pacedP50Ms: number | null;
  readonly pacedP99Ms: number | null;
  readonly pacedMaxMs: number | null;
  readonly pacedSamples: number | null;
  readonly pacedDrainMs: number | null;
  readonly pacedServerCpuUsPerOp: number | null;
  readonly pacedServerCpuUsPerDelivery: number | null;
  readonly pacedClientCpuUsPerOp: number | null;
  readonly pacedRedisCpuUsPerOp: number | null;
  readonly pacedRedisBytesPerOp: number | null;
  readonly burstWrites: number | null;
  readonly burstAckedPerSec: number | null;
  readonly burstVisiblePerSec: number | null;
  readonly burstP50Ms: number | null;
  readonly burstP99Ms: number | null;
  readonly burstMaxMs: number | null;
  readonly burstDrainMs: number | null;
  readonly burstServerCpuUsPerOp: number | null;
  readonly burstServerCpuUsPerDelivery: number | null;
  readonly burstClientCpuUsPerOp: number | null;
  readonly burstRedisCpuUsPerOp: number | null;
  readonly burstRedisBytesPerOp: number | null;
  /** Redis INFO `used_memory` at the end minus right after the FLUSHALL before the run. */
  readonly redisMemoryBytes: number | null;
  /** Keys, streams and stream entries (Σ XLEN) in Redis at the end. */
  readonly redisKeys: number | null;
  readonly redisStreams: number | null;
  readonly redisStreamEntries: number | null;
  /** converge: times a server's hub circuit opened during the run, all servers together (null for Hocuspocus). */
  readonly hubDowns: number | null;
  /** Connections the clients opened beyond their first (unrequested reconnects). */
  readonly reconnects: number;
}

/** The numeric fields a summary takes medians of. */
export const CLUSTER_FIELDS: readonly (keyof ClusterSample & string)[] = [
  "connectMs",
  "pacedWrites",
  "pacedSkipped",
  "pacedAckedPerSec",
  "pacedVisiblePerSec",
  "pacedP50Ms",
  "pacedP99Ms",
  "pacedMaxMs",
  "pacedSamples",
  "pacedDrainMs",
  "pacedServerCpuUsPerOp",
  "pacedServerCpuUsPerDelivery",
  "pacedClientCpuUsPerOp",
  "pacedRedisCpuUsPerOp",
  "pacedRedisBytesPerOp",
  "burstWrites",
  "burstAckedPerSec",
  "burstVisiblePerSec",
  "burstP50Ms",
  "burstP99Ms",
  "burstMaxMs",
  "burstDrainMs",
  "burstServerCpuUsPerOp",
  "burstServerCpuUsPerDelivery",
  "burstClientCpuUsPerOp",
  "burstRedisCpuUsPerOp",
  "burstRedisBytesPerOp",
  "redisMemoryBytes",
  "redisKeys",
  "redisStreams",
  "redisStreamEntries",
  "hubDowns",
  "reconnects",
];

const PHASE_KEYS = [
  "writes",
  "skipped",
  "ackedPerSec",
  "visiblePerSec",
  "p50Ms",
  "p99Ms",
  "maxMs",
  "samples",
  "drainMs",
  "serverCpuUsPerOp",
  "serverCpuUsPerDelivery",
  "clientCpuUsPerOp",
  "redisCpuUsPerOp",
  "redisBytesPerOp",
] as const satisfies readonly (keyof PhaseMeasures)[];

/** A phase's measures as the sample's prefixed fields (`p99Ms` → `pacedP99Ms`); all null without the phase. */
export function phaseFields(
  prefix: "paced" | "burst",
  m: PhaseMeasures | null,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of PHASE_KEYS) {
    const name = `${prefix}${k[0]?.toUpperCase()}${k.slice(1)}`;
    if ((CLUSTER_FIELDS as readonly string[]).includes(name)) out[name] = m === null ? null : m[k];
  }
  return out;
}
