import { describe, expect, it } from "vitest";
import { startRedisServer } from "../../../test/kit/redis-server.ts";

// The shared harness (test/kit/redis-server.ts): a missing redis-server fails loudly, naming the
// Debian package (no silent skip); a started one answers, restarts empty, and leaves no process.

describe("test/kit/redis-server.ts", () => {
  it("fails naming the Debian package when redis-server is missing", async () => {
    const saved = process.env["CONVERGE_REDIS_SERVER"];
    process.env["CONVERGE_REDIS_SERVER"] = "/nonexistent/redis-server";
    try {
      await expect(startRedisServer()).rejects.toThrow(/apt-get install redis-server/);
    } finally {
      if (saved === undefined) delete process.env["CONVERGE_REDIS_SERVER"];
      else process.env["CONVERGE_REDIS_SERVER"] = saved;
    }
  });

  it("starts on a free port, restarts empty on the same one, and stops its process", async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redis.command("SET", "k", "v")).toBe("+OK\r\n");
      expect(await redis.command("CONFIG", "GET", "save")).toContain("save");
      await redis.restart();
      expect(await redis.command("EXISTS", "k")).toBe(":0\r\n"); // no persistence: a restart loses everything
      const pid = Number(/process_id:(\d+)/.exec(await redis.command("INFO", "server"))?.[1]);
      expect(pid).toBeGreaterThan(0);
      await redis.dispose();
      expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
      await expect(redis.command("PING")).rejects.toThrow();
    } finally {
      await redis.dispose();
    }
  });
});
