import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "../measure.ts";
import { quantile } from "../sync/stats.ts";
import { sleep, waitUntil } from "../sync/wait.ts";
import { type AckClient, convergeAckClient, hocuspocusAckClient } from "./ack-clients.ts";
import { ensureBetterSqlite } from "./native-sqlite.ts";
import type { StorageConfig } from "./storage-config.ts";
import { startStorageServer } from "./storage-process.ts";
import { ACK_MEANS, type StorageSystem } from "./storage-systems.ts";

/** One system's acknowledged-write run (medians over the repetitions). */
export interface AckResult {
  readonly system: StorageSystem;
  readonly ackMeans: string;
  /** Writes acknowledged within the window, per second. */
  readonly acksPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Server CPU (user + system) per acknowledged write, µs. */
  readonly serverCpuUsPerAck: number | null;
  readonly reps: number;
  /** Over every run: writes made, and acknowledgements received for them (equal when none was lost). */
  readonly writes: number;
  readonly acks: number;
}

async function once(system: StorageSystem, config: StorageConfig, log: (m: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "converge-bench-storage-"));
  const server = await startStorageServer(system, dir, config.timeoutMs);
  const clients: AckClient[] = [];
  try {
    const make = system.startsWith("converge") ? convergeAckClient : hocuspocusAckClient;
    // A document per client: the run measures the path to a durable ack (merge, store, ack), not
    // the relay to other clients, which the sync bench's fan-out measures.
    for (let i = 0; i < config.clients; i++)
      clients.push(await make(server.url, `doc-${i}`, config.timeoutMs));
    const latencies: number[] = [];
    let ackedInWindow = 0;
    let inFlight = 0;
    let writes = 0;
    const cpu0 = await server.cpuUs();
    const start = performance.now();
    const deadline = start + config.seconds * 1000;
    clients.forEach((client, c) => {
      const sentAt: number[] = [];
      let head = 0;
      let n = 0;
      const pump = (): void => {
        while (sentAt.length - head < config.window && performance.now() < deadline) {
          sentAt.push(performance.now());
          inFlight++;
          writes++;
          client.write(`c${c}:k${n % 1000}`, n++);
        }
      };
      client.onAcks((k) => {
        const now = performance.now();
        for (let i = 0; i < k && head < sentAt.length; i++) {
          latencies.push(now - (sentAt[head++] as number));
          inFlight--;
          if (now <= deadline) ackedInWindow++;
        }
        pump();
      });
      pump();
    });
    await sleep(config.seconds * 1000);
    await waitUntil(() => inFlight === 0, config.timeoutMs, `${system}: every write acknowledged`);
    const cpu1 = await server.cpuUs();
    const samples = Float64Array.from(latencies).sort();
    log(`${system}: ${ackedInWindow} acks in ${config.seconds} s`);
    return {
      acksPerSec: ackedInWindow / config.seconds,
      p50Ms: quantile(samples, 0.5),
      p99Ms: quantile(samples, 0.99),
      cpuPerAck: latencies.length === 0 ? null : (cpu1 - cpu0) / latencies.length,
      writes,
      acks: latencies.length,
    };
  } finally {
    for (const c of clients) await c.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const med = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : median(v);
};

/** Runs every configured system `reps` times, each in a fresh server child with a fresh data dir. */
export async function runAcks(config: StorageConfig, log: (m: string) => void): Promise<AckResult[]> {
  if (config.systems.includes("hocuspocus-sqlite")) ensureBetterSqlite();
  const results: AckResult[] = [];
  for (const system of config.systems) {
    const runs = [];
    for (let r = 0; r < config.reps; r++) runs.push(await once(system, config, log));
    results.push({
      system,
      ackMeans: ACK_MEANS[system],
      acksPerSec: median(runs.map((r) => r.acksPerSec)),
      p50Ms: med(runs.map((r) => r.p50Ms)),
      p99Ms: med(runs.map((r) => r.p99Ms)),
      serverCpuUsPerAck: med(runs.map((r) => r.cpuPerAck)),
      reps: runs.length,
      writes: runs.reduce((n, r) => n + r.writes, 0),
      acks: runs.reduce((n, r) => n + r.acks, 0),
    });
  }
  return results;
}
