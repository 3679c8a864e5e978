import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../test/kit/redis-server.ts";
import { CLUSTER_SYSTEMS, loadClusterConfig, serverOf } from "../src/cluster/cluster-config.ts";
import { runClusterOnce } from "../src/cluster/cluster-run.ts";
import { clusterTargets } from "../src/cluster/cluster-targets.ts";
import { parseInfo, type RedisAdmin, redisAdmin } from "../src/cluster/redis-stats.ts";

const quiet = (): void => undefined;

describe("cluster bench settings", () => {
  it("spread clients over servers in even contiguous blocks", () => {
    for (const [clients, servers] of [
      [60, 1],
      [60, 2],
      [60, 3],
      [7, 3],
    ] as const) {
      const per = Array.from({ length: servers }, () => 0);
      let last = 0;
      for (let i = 0; i < clients; i++) {
        const s = serverOf(i, clients, servers);
        expect(s).toBeGreaterThanOrEqual(last);
        last = s;
        per[s] = (per[s] ?? 0) + 1;
      }
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
      expect(serverOf(0, clients, servers)).toBe(0);
      expect(serverOf(clients - 1, clients, servers)).toBe(servers - 1);
    }
  });

  it("are parsed and refused with the variable's name", () => {
    const c = loadClusterConfig({ BENCH_CLUSTER_SERVERS: "1,3", BENCH_CLUSTER_PACED_S: "1.5" });
    expect(c.servers).toEqual([1, 3]);
    expect(c.pacedMs).toBe(1500);
    expect(c.systems).toEqual(CLUSTER_SYSTEMS);
    expect(() => loadClusterConfig({ BENCH_CLUSTER_SERVERS: "0" })).toThrow(/BENCH_CLUSTER_SERVERS/);
    expect(() => loadClusterConfig({ BENCH_CLUSTER_CLIENTS: "5" })).toThrow(/BENCH_CLUSTER_CLIENTS/);
    expect(() => loadClusterConfig({ BENCH_CLUSTER_SYSTEMS: "y-websocket" })).toThrow(
      /BENCH_CLUSTER_SYSTEMS/,
    );
    expect(() => loadClusterConfig({ BENCH_CLUSTER_RATE: "0" })).toThrow(/BENCH_CLUSTER_RATE/);
  });

  it("INFO is read field by field, sections and blank lines skipped", () => {
    const info = parseInfo("# Memory\r\nused_memory:1234\r\n\r\n# CPU\r\nused_cpu_sys:0.5\r\nx:a:b\r\n");
    expect(info.get("used_memory")).toBe("1234");
    expect(info.get("used_cpu_sys")).toBe("0.5");
    expect(info.get("x")).toBe("a:b");
    expect(info.size).toBe(3);
  });
});

describe("cluster bench on a private Redis", () => {
  let redis: RedisServer;
  let admin: RedisAdmin;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = await redisAdmin(redis.url);
  }, 30_000);
  afterAll(async () => {
    await admin?.close();
    await redis?.dispose();
  });

  it("reads streams and their entries, and a reset empties them", async () => {
    const { Redis } = await import("ioredis");
    const r = new Redis(redis.url);
    try {
      for (let i = 0; i < 5; i++) await r.xadd("s1", "*", "k", String(i));
      await r.xadd("s2", "*", "k", "x");
      await r.set("plain", "v");
      const s = await admin.stats();
      expect([s.keys, s.streams, s.streamEntries]).toEqual([3, 2, 6]);
      expect(s.netInputBytes).toBeGreaterThan(0);
      await admin.reset();
      const after = await admin.stats();
      expect([after.keys, after.streams, after.streamEntries]).toEqual([0, 0, 0]);
    } finally {
      r.disconnect();
    }
  });

  // Every system end to end at tiny sizes: the run checks every client saw exactly every other
  // client's writes and that one client per server reads every value written.
  const config = loadClusterConfig({
    BENCH_CLUSTER_CLIENTS: "6",
    BENCH_CLUSTER_RATE: "10",
    BENCH_CLUSTER_PACED_S: "1",
    BENCH_CLUSTER_BURST_S: "0.5",
    BENCH_CLUSTER_OBSERVERS: "1",
    BENCH_CLUSTER_TIMEOUT_S: "30",
  });
  describe.each(CLUSTER_SYSTEMS)("%s", (system) => {
    it.each([1, 3])(
      "%i server(s): writes reach every client across servers",
      async (servers) => {
        const r = await runClusterOnce(config, system, servers, redis.url, admin, quiet);
        expect(r.note).toBe("");
        expect(r.status).toBe("ok");
        // 6 clients × 10/s × 1 s, give or take the first and last tick.
        expect(r.pacedWrites).toBeGreaterThanOrEqual(48);
        expect(r.pacedSkipped).toBe(0);
        // Server 1's clients (2 of 6 with 3 servers) wrote; the observer saw them.
        expect(r.pacedSamples).toBeGreaterThan(0);
        expect(r.pacedP99Ms).toBeGreaterThanOrEqual(r.pacedP50Ms ?? Number.POSITIVE_INFINITY);
        expect(r.burstWrites).toBeGreaterThanOrEqual(6 * 8);
        expect(r.burstAckedPerSec).toBeGreaterThan(0);
        expect(r.pacedServerCpuUsPerOp).toBeGreaterThan(0);
        if (servers > 1) expect(r.pacedRedisBytesPerOp).toBeGreaterThan(0);
        expect(r.reconnects).toBe(0);
        // converge's servers report their hub's circuit; Hocuspocus has none to report.
        expect(r.hubDowns === null).toBe(system === "hocuspocus");
      },
      90_000,
    );
  });
});

describe("cluster targets", () => {
  it("compare converge with Hocuspocus per size, and say when a side is missing", () => {
    const size = (servers: number, c: number | null, h: number | null) => ({
      servers,
      results: [
        { system: "converge", ok: c === null ? 0 : 1, median: { burstAckedPerSec: c, pacedP99Ms: 10 } },
        { system: "hocuspocus", ok: 1, median: { burstAckedPerSec: h, pacedP99Ms: 20 } },
      ],
    });
    // A hand-built result: only the fields the targets read.
    const r = { sizes: [size(1, 300, 200), size(2, null, 200)] } as unknown as Parameters<
      typeof clusterTargets
    >[0];
    const t = clusterTargets(r);
    expect(t.map((x) => x.met)).toEqual([true, true, null, null]);
    expect(t[0]?.measured).toMatch(/1\.50×/);
  });
});
