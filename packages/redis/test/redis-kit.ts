import type { Hub } from "@converge/sync";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.ts";

/** A private redis-server for one test file, a raw client to it, and the hubs to close after each test. */
export interface RedisFixture {
  server: RedisServer;
  raw: Redis;
  /** Hubs made by a test: closed after it. */
  readonly open: Hub[];
}

/** Starts a redis-server before the file's tests and stops it after them; closes each test's hubs. */
export function useRedis(): RedisFixture {
  const fx = { open: [] as Hub[] } as unknown as RedisFixture;
  beforeAll(async () => {
    fx.server = await startRedisServer();
    fx.raw = new Redis(fx.server.url, { protocol: 2, maxRetriesPerRequest: 1 });
    fx.raw.on("error", () => {});
  });
  afterEach(async () => {
    for (const h of fx.open.splice(0)) await h.close();
  });
  afterAll(async () => {
    fx.raw?.disconnect();
    await fx.server?.dispose();
  });
  return fx;
}

/** Waits until `condition` holds, polling every 5 ms; throws naming `what` after `timeoutMs` (default 10 s). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
