import { randomBytes } from "node:crypto";
import { runHubTests } from "@converge/sync/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.ts";
import { redisHub } from "../src/index.ts";
import { whenUp } from "./when-up.ts";

// The Hub contract of @converge/sync/testing, on a real private redis-server: every test gets
// members on a fresh key prefix; the outage laws stop the server and start it again (empty).
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis?.dispose());

runHubTests(
  "redisHub",
  async (n) => {
    const prefix = `contract-${randomBytes(4).toString("hex")}:`;
    const members = Array.from({ length: n }, () =>
      redisHub({ url: redis.url, prefix, commandTimeoutMs: 500, probeMs: 100 }),
    );
    // A redis hub starts down and comes up on its first probe (a few ms on localhost).
    await whenUp(members);
    return { members, down: () => redis.stop(), up: () => redis.start() };
  },
  { describe, it },
);
