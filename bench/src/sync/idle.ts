import type { BenchClient } from "./clients/bench-client.ts";
import type { ServerStats, SystemId } from "./server-messages.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { describe, heldBytes } from "./stats.ts";
import type { SyncConfig } from "./sync-config.ts";
import { clientFactory } from "./systems.ts";
import { inPool, sleep, withTimeout } from "./wait.ts";

/** One idle-documents run: `documents` documents, one client each, one key written per document. */
export interface IdleSample {
  readonly system: SystemId;
  readonly documents: number;
  readonly status: "ok" | "timeout" | "error";
  readonly note: string;
  /** Connecting every client and writing its key. */
  readonly connectMs: number | null;
  /** Server heap + external after GC with every document open, minus before any, per document. */
  readonly serverBytesPerDocument: number | null;
  /** The same for the server's resident set size. */
  readonly serverRssPerDocument: number | null;
  readonly reconnects: number;
}

/**
 * Opens `documents` documents (`idle-0`, `idle-1`, …), one client each with the provider's
 * default presence, each writing one key; after a settle, reads the server's memory.
 */
export async function runIdle(
  config: SyncConfig,
  system: SystemId,
  log: (msg: string) => void,
): Promise<IdleSample> {
  const timeout = config.timeoutMs;
  const documents = config.idleDocs;
  const list: BenchClient[] = [];
  let server: ServerProcess | undefined;
  let before: ServerStats | undefined;
  let after: ServerStats | undefined;
  let connectMs: number | null = null;
  let status: IdleSample["status"] = "ok";
  let note = "";
  try {
    const connect = await clientFactory(system);
    server = await startServerProcess(system, timeout);
    const url = `ws://127.0.0.1:${server.port}`;
    before = await server.stats();
    const t0 = performance.now();
    await inPool(documents, config.connectConcurrency, async (i) => {
      const client = await connect({ url, document: `idle-${i}`, presence: true }, timeout);
      list[i] = client;
      client.write("k", i);
    });
    connectMs = performance.now() - t0;
    log(`  idle ${system}: ${documents} documents open in ${(connectMs / 1000).toFixed(1)} s`);
    // Let the last writes and handshakes settle before the memory is read.
    await sleep(1000);
    after = await server.stats();
  } catch (e) {
    status = e instanceof Error && "code" in e && e.code === "BENCH_TIMEOUT" ? "timeout" : "error";
    note = describe(e);
  } finally {
    await withTimeout(Promise.all(list.map((c) => c.close())), timeout, "clients to close").catch(
      () => undefined,
    );
    await server?.stop();
  }
  const ok = status === "ok" && before !== undefined && after !== undefined;
  return {
    system,
    documents,
    status,
    note,
    connectMs,
    serverBytesPerDocument: ok
      ? (heldBytes(after as ServerStats) - heldBytes(before as ServerStats)) / documents
      : null,
    serverRssPerDocument: ok ? ((after as ServerStats).rss - (before as ServerStats).rss) / documents : null,
    reconnects: list.reduce((a, c) => a + Math.max(0, c.connects() - 1), 0),
  };
}
