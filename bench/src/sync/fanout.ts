import type { BenchClient } from "./clients/bench-client.ts";
import type { ServerStats, SystemId } from "./server-messages.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { cpuBetween, describe, heldBytes, quantile } from "./stats.ts";
import type { SyncConfig } from "./sync-config.ts";
import { clientFactory } from "./systems.ts";
import { inPool, sleep, turn, waitUntil, withTimeout } from "./wait.ts";

/** One fan-out run of one system: one document, `clients` clients each writing `writesPerClient` keys. */
export interface FanoutSample {
  readonly system: SystemId;
  readonly clients: number;
  readonly writesPerClient: number;
  /** Writes made: clients × writesPerClient, each a distinct key with a small integer value. */
  readonly ops: number;
  /** Remote changes every client must see: ops × (clients − 1). */
  readonly deliveries: number;
  /** Remote changes the clients saw (equal to `deliveries` in a complete run). */
  readonly delivered: number;
  readonly status: "ok" | "timeout" | "error";
  readonly note: string;
  /** Connecting every client (pool of BENCH_SYNC_CONNECT_CONCURRENCY) until each had synced. */
  readonly connectMs: number | null;
  /** From the first write until every client had seen every other client's writes. */
  readonly elapsedMs: number | null;
  /** ops / elapsed: operations merged by the server and relayed to every other client, per second. */
  readonly opsPerSec: number | null;
  /** deliveries / elapsed. */
  readonly deliveriesPerSec: number | null;
  /** Write on one client → change event on an observer client, same process and clock. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly latencyMaxMs: number | null;
  readonly latencySamples: number;
  /** Server CPU (user + system) during the write phase, per op and per delivery. */
  readonly serverCpuUsPerOp: number | null;
  readonly serverCpuUsPerDelivery: number | null;
  /** Server heap + external after GC with every client connected, minus before any, per client. */
  readonly serverBytesPerClient: number | null;
  /** The same for the server's resident set size. */
  readonly serverRssPerClient: number | null;
  /** Connections the clients opened beyond their first (unrequested reconnects). */
  readonly reconnects: number;
}

/** Runs one fan-out of `system` with `clients` clients; never throws (failures become the sample's status). */
export async function runFanout(
  config: SyncConfig,
  system: SystemId,
  clients: number,
  writesPerClient: number,
  log: (msg: string) => void,
): Promise<FanoutSample> {
  const timeout = config.timeoutMs;
  const ops = clients * writesPerClient;
  const deliveries = ops * (clients - 1);
  const counts = new Int32Array(clients);
  let complete = 0;
  const latencies: number[] = [];
  const writeTimes = new Map<string, number>();
  // Remote writes of each round seen by observer 0, and who waits for a round to complete.
  const seenOfRound = new Int32Array(writesPerClient);
  const roundOf = new Map<string, number>();
  const roundWaiters = new Map<number, () => void>();
  const list: BenchClient[] = [];
  let server: ServerProcess | undefined;
  let connectMs: number | null = null;
  let elapsedMs: number | null = null;
  let before: ServerStats | undefined;
  let connected: ServerStats | undefined;
  let start: ServerStats | undefined;
  let end: ServerStats | undefined;
  let status: FanoutSample["status"] = "ok";
  let note = "";
  try {
    const connect = await clientFactory(system);
    server = await startServerProcess(system, timeout);
    const url = `ws://127.0.0.1:${server.port}`;
    before = await server.stats();
    const t0 = performance.now();
    await inPool(clients, config.connectConcurrency, async (i) => {
      list[i] = await connect({ url, document: "fanout", presence: false }, timeout);
    });
    connectMs = performance.now() - t0;
    // Let the last handshakes' replies drain before the server's memory is read.
    await sleep(250);
    connected = await server.stats();
    const expected = deliveries / clients;
    const observers = Math.min(config.observers, clients);
    list.forEach((client, i) => {
      client.onRemote((count, keys) => {
        const was = counts[i] as number;
        counts[i] = was + count;
        if (was < expected && was + count >= expected) complete++;
        if (i < observers) {
          const now = performance.now();
          for (const key of keys()) {
            const at = writeTimes.get(key);
            if (at !== undefined) latencies.push(now - at);
            if (i !== 0) continue;
            const r = roundOf.get(key);
            if (r === undefined) continue;
            const seen = (seenOfRound[r] as number) + 1;
            seenOfRound[r] = seen;
            if (seen === clients - 1) roundWaiters.get(r)?.();
          }
        }
      });
    });
    log(
      `  fan-out ${system} ${clients} clients connected in ${(connectMs / 1000).toFixed(1)} s; ${ops} writes`,
    );
    start = await server.stats();
    const w0 = performance.now();
    // Round r: every client writes its r-th key; one macrotask turn between rounds lets I/O run.
    // With a window, round r waits until observer 0 has seen all of round r − window.
    const window = config.window;
    for (let r = 0; r < writesPerClient; r++) {
      const gate = r - window;
      if (window > 0 && gate >= 0 && (seenOfRound[gate] as number) < clients - 1) {
        await withTimeout(
          new Promise<void>((resolve) => roundWaiters.set(gate, resolve)),
          timeout,
          `${system}: round ${gate} to reach observer 0`,
        );
      }
      for (let i = 0; i < clients; i++) {
        const key = `c${i}:${r}`;
        roundOf.set(key, r);
        writeTimes.set(key, performance.now());
        (list[i] as BenchClient).write(key, r);
      }
      await turn();
    }
    await waitUntil(() => complete === clients, timeout, `${system}: every client to see every write`);
    elapsedMs = performance.now() - w0;
    end = await server.stats();
    const over = counts.findIndex((c) => c !== expected);
    if (over >= 0) throw new Error(`client ${over} saw ${counts[over]} remote changes, expected ${expected}`);
    // Spot-check values against what was written (the oracle): the last client's keys on client 0.
    for (let r = 0; r < writesPerClient; r++) {
      const got = (list[0] as BenchClient).get(`c${clients - 1}:${r}`);
      if (got !== r) throw new Error(`client 0 reads ${String(got)} for c${clients - 1}:${r}, expected ${r}`);
    }
  } catch (e) {
    status = e instanceof Error && "code" in e && e.code === "BENCH_TIMEOUT" ? "timeout" : "error";
    note = describe(e);
  } finally {
    await withTimeout(Promise.all(list.map((c) => c.close())), timeout, `${system} clients to close`).catch(
      () => undefined,
    );
    await server?.stop();
  }
  const samples = Float64Array.from(latencies).sort();
  const cpu = start !== undefined && end !== undefined ? cpuBetween(start, end) : null;
  const ok = status === "ok";
  return {
    system,
    clients,
    writesPerClient,
    ops,
    deliveries,
    delivered: counts.reduce((a, b) => a + b, 0),
    status,
    note,
    connectMs,
    elapsedMs,
    opsPerSec: ok && elapsedMs !== null ? ops / (elapsedMs / 1000) : null,
    deliveriesPerSec: ok && elapsedMs !== null ? deliveries / (elapsedMs / 1000) : null,
    latencyP50Ms: ok ? quantile(samples, 0.5) : null,
    latencyP99Ms: ok ? quantile(samples, 0.99) : null,
    latencyMaxMs: ok ? quantile(samples, 1) : null,
    latencySamples: samples.length,
    serverCpuUsPerOp: ok && cpu !== null ? cpu / ops : null,
    serverCpuUsPerDelivery: ok && cpu !== null ? cpu / deliveries : null,
    serverBytesPerClient:
      before !== undefined && connected !== undefined
        ? (heldBytes(connected) - heldBytes(before)) / clients
        : null,
    serverRssPerClient:
      before !== undefined && connected !== undefined ? (connected.rss - before.rss) / clients : null,
    reconnects: list.reduce((a, c) => a + Math.max(0, c.connects() - 1), 0),
  };
}
