import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startByteProxy } from "../src/sync/byte-proxy.ts";
import { startServerProcess } from "../src/sync/server-process.ts";
import { quantile } from "../src/sync/stats.ts";
import { fanoutWritesFor, loadSyncConfig } from "../src/sync/sync-config.ts";

describe("sync bench harness", () => {
  it("the byte proxy counts exactly the bytes it relays, each way, and resets", async () => {
    const { createServer } = await import("node:net");
    // An echo server that answers each chunk with the same bytes twice.
    const echo = createServer((s) => s.on("data", (d) => s.write(Buffer.concat([d, d]))));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const port = (echo.address() as { port: number }).port;
    const proxy = await startByteProxy(port);
    try {
      const sock = connect(proxy.port, "127.0.0.1");
      let got = 0;
      sock.on("data", (d) => {
        got += d.length;
      });
      await new Promise<void>((r) => sock.once("connect", () => r()));
      sock.write(Buffer.alloc(1000, 7));
      await expect.poll(() => got, { timeout: 5000 }).toBe(2000);
      expect(proxy.up()).toBe(1000);
      expect(proxy.down()).toBe(2000);
      proxy.reset();
      sock.write(Buffer.alloc(10, 1));
      await expect.poll(() => got, { timeout: 5000 }).toBe(2020);
      expect([proxy.up(), proxy.down()]).toEqual([10, 20]);
      sock.destroy();
    } finally {
      await proxy.close();
      echo.close();
    }
  });

  it("fan-out writes per client stay within the delivery bound, at least one", () => {
    const config = loadSyncConfig({ BENCH_SYNC_WRITES: "100", BENCH_SYNC_DELIVERIES: "2000000" });
    expect(fanoutWritesFor(config, 100)).toBe(100);
    expect(fanoutWritesFor(config, 1000)).toBe(2);
    expect(fanoutWritesFor(config, 5000)).toBe(1);
    for (const n of [2, 10, 100, 1000]) {
      const w = fanoutWritesFor(config, n);
      expect(w === 1 || w * n * (n - 1) <= 2_000_000).toBe(true);
    }
  });

  it("settings are parsed and refused with the variable's name", () => {
    expect(loadSyncConfig({ BENCH_SYNC_CLIENTS: "3,20" }).fanoutClients).toEqual([3, 20]);
    expect(loadSyncConfig({ BENCH_SYNC_SYSTEMS: "hocuspocus" }).systems).toEqual(["hocuspocus"]);
    expect(() => loadSyncConfig({ BENCH_SYNC_CLIENTS: "1" })).toThrow(/BENCH_SYNC_CLIENTS/);
    expect(() => loadSyncConfig({ BENCH_SYNC_SYSTEMS: "nope" })).toThrow(/BENCH_SYNC_SYSTEMS/);
    expect(() => loadSyncConfig({ BENCH_SYNC_WRITES: "x" })).toThrow(/BENCH_SYNC_WRITES/);
  });

  it("quantiles are nearest-rank", () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile(new Float64Array(0), 0.5)).toBeNull();
  });

  it("a server child reports its own stats and is gone after stop", async () => {
    const server = await startServerProcess("y-websocket", 20_000);
    try {
      const a = await server.stats();
      const b = await server.stats();
      expect(a.rss).toBeGreaterThan(0);
      expect(a.heapUsed).toBeGreaterThan(0);
      expect(b.cpuUs).toBeGreaterThanOrEqual(a.cpuAfterGcUs);
      expect(server.pid).not.toBe(process.pid);
    } finally {
      await server.stop();
    }
    expect(() => process.kill(server.pid, 0)).toThrow();
  }, 30_000);
});

describe("sync bench repetitions", () => {
  it("rotate the systems and stop running a system once it timed out", async () => {
    const { repeated } = await import("../src/sync/run-sync.ts");
    const calls: string[] = [];
    const runs = await repeated(
      ["converge", "hocuspocus", "y-websocket"],
      3,
      async (system) => {
        calls.push(system);
        const status = system === "hocuspocus" ? "timeout" : "ok";
        return { system, status, note: status === "ok" ? "" : "slow" };
      },
      () => undefined,
    );
    // rep 0: c h y; rep 1 (rotated): h y c, h skipped; rep 2: y c h, h skipped.
    expect(calls).toEqual([
      "converge",
      "hocuspocus",
      "y-websocket",
      "y-websocket",
      "converge",
      "y-websocket",
      "converge",
    ]);
    expect(runs.get("hocuspocus")?.length).toBe(1);
    expect(runs.get("converge")?.length).toBe(3);
  });
});
