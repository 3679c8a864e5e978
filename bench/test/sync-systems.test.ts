import { describe, expect, it } from "vitest";
import { runCatchup } from "../src/sync/catchup.ts";
import { runFanout } from "../src/sync/fanout.ts";
import { runIdle } from "../src/sync/idle.ts";
import { SYSTEMS } from "../src/sync/server-messages.ts";
import { loadSyncConfig } from "../src/sync/sync-config.ts";

// Every system end to end at tiny sizes: each scenario checks its results against what was
// written (counts of remote changes, values read back), so a broken adapter fails here.
const config = loadSyncConfig({
  BENCH_SYNC_TIMEOUT_S: "30",
  BENCH_SYNC_CATCHUP_KEYS: "300",
  BENCH_SYNC_CATCHUP_BATCH: "100",
  BENCH_SYNC_IDLE_DOCS: "5",
  BENCH_SYNC_OBSERVERS: "2",
});
const quiet = (): void => undefined;

describe.each(SYSTEMS)("sync bench on %s", (system) => {
  it("fan-out: every client sees every other client's writes exactly once", async () => {
    const r = await runFanout(config, system, 4, 5, quiet);
    expect(r.note).toBe("");
    expect(r.status).toBe("ok");
    expect(r.delivered).toBe(4 * 5 * 3);
    expect(r.latencySamples).toBe(2 * 3 * 5);
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms ?? Number.POSITIVE_INFINITY);
    expect(r.serverCpuUsPerOp).toBeGreaterThan(0);
    expect(r.reconnects).toBe(0);
  }, 60_000);

  it("catch-up: the returning client ends with every new value and its bytes are counted", async () => {
    const r = await runCatchup(config, system, quiet);
    expect(r.note).toBe("");
    expect(r.status).toBe("ok");
    // At least the keys themselves travelled down (each "key:N" name is ≥ 5 bytes).
    expect(r.downBytes).toBeGreaterThan(300 * 5);
    expect(r.upBytes).toBeGreaterThan(0);
    expect(r.syncMs).toBeGreaterThan(0);
  }, 60_000);

  it("idle: documents open and the server's memory is read", async () => {
    const r = await runIdle(config, system, quiet);
    expect(r.note).toBe("");
    expect(r.status).toBe("ok");
    expect(r.serverBytesPerDocument).not.toBeNull();
  }, 60_000);
});
