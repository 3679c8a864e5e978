import { type ByteProxy, startByteProxy } from "./byte-proxy.ts";
import type { BenchClient, ClientFactory } from "./clients/bench-client.ts";
import type { SystemId } from "./server-messages.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { describe } from "./stats.ts";
import type { SyncConfig } from "./sync-config.ts";
import { clientFactory } from "./systems.ts";
import { turn, waitUntil, withTimeout } from "./wait.ts";

/** One catch-up run: a client offline while every one of `keys` keys changed reconnects. */
export interface CatchupSample {
  readonly system: SystemId;
  readonly keys: number;
  readonly status: "ok" | "timeout" | "error";
  readonly note: string;
  /** Bytes the returning client sent, counted on its TCP socket (handshake, framing, payload). */
  readonly upBytes: number | null;
  /** Bytes it received. */
  readonly downBytes: number | null;
  readonly totalBytes: number | null;
  /** From `reconnect()` until the client is synced and holds every changed value. */
  readonly syncMs: number | null;
}

/**
 * The catch-up scenario: a writer fills `keys` keys (values 0..keys−1), the returning client syncs
 * them through a byte-counting proxy and goes offline; the writer then gives every key a new
 * value (keys + i), confirmed by a third client; the returning client reconnects and is timed
 * until it has every new value. Only the reconnect's bytes are counted.
 */
export async function runCatchup(
  config: SyncConfig,
  system: SystemId,
  log: (msg: string) => void,
): Promise<CatchupSample> {
  const timeout = config.timeoutMs;
  const keys = config.catchupKeys;
  const names = Array.from({ length: keys }, (_, i) => `key:${i}`);
  const clients: BenchClient[] = [];
  let server: ServerProcess | undefined;
  let proxy: ByteProxy | undefined;
  let sample: Omit<CatchupSample, "system" | "keys" | "status" | "note"> = {
    upBytes: null,
    downBytes: null,
    totalBytes: null,
    syncMs: null,
  };
  let status: CatchupSample["status"] = "ok";
  let note = "";
  try {
    const connect: ClientFactory = await clientFactory(system);
    server = await startServerProcess(system, timeout);
    proxy = await startByteProxy(server.port);
    const direct = { url: `ws://127.0.0.1:${server.port}`, document: "catchup", presence: false };
    const writer = await connect(direct, timeout);
    clients.push(writer);
    const returning = await connect({ ...direct, url: `ws://127.0.0.1:${proxy.port}` }, timeout);
    clients.push(returning);
    const probe = await connect(direct, timeout);
    clients.push(probe);
    let returningSeen = 0;
    let probeSeen = 0;
    returning.onRemote((n) => {
      returningSeen += n;
    });
    probe.onRemote((n) => {
      probeSeen += n;
    });
    const fill = async (value: (i: number) => number): Promise<void> => {
      for (let at = 0; at < keys; at += config.catchupBatch) {
        const batch = names.slice(at, at + config.catchupBatch);
        writer.writeMany(batch, (j) => value(at + j));
        await turn();
      }
    };
    await fill((i) => i);
    await waitUntil(
      () => returningSeen >= keys && probeSeen >= keys,
      timeout,
      `${system}: the first ${keys} keys`,
    );
    await returning.disconnect();
    log(`  catch-up ${system}: ${keys} keys synced; changing all of them while a client is offline`);
    await fill((i) => keys + i);
    await waitUntil(() => probeSeen >= 2 * keys, timeout, `${system}: the probe to see the changes`);
    const seenBefore = returningSeen;
    proxy.reset();
    const t0 = performance.now();
    await returning.reconnect();
    await waitUntil(
      () => returningSeen - seenBefore >= keys && returning.synced(),
      timeout,
      `${system}: the returning client to catch up`,
      1,
    );
    const syncMs = performance.now() - t0;
    const up = proxy.up();
    const down = proxy.down();
    sample = { upBytes: up, downBytes: down, totalBytes: up + down, syncMs };
    // The oracle: every key holds the value the writer gave it last.
    for (let i = 0; i < keys; i++) {
      const got = returning.get(names[i] as string);
      if (got !== keys + i)
        throw new Error(`returning client reads ${String(got)} for ${names[i]}, expected ${keys + i}`);
    }
  } catch (e) {
    status = e instanceof Error && "code" in e && e.code === "BENCH_TIMEOUT" ? "timeout" : "error";
    note = describe(e);
  } finally {
    await withTimeout(Promise.all(clients.map((c) => c.close())), timeout, "clients to close").catch(
      () => undefined,
    );
    await proxy?.close();
    await server?.stop();
  }
  return { system, keys, status, note, ...sample };
}
