import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rulesFromManifest } from "@converge/rules";
import type { ConvergeServer } from "@converge/server";
import { openDocument, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../../test/kit/redis-server.ts";
import { startServe } from "../../../test/kit/serve-process.ts";
import { serve } from "../src/serve.ts";

// `converge serve --redis`: two server processes share a document through a private Redis, keep
// acknowledging their own clients' writes while Redis is down, and catch up when it returns.

let redis: RedisServer;
const dir = mkdtempSync(join(tmpdir(), "converge-serve-redis-"));
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const open = (url: string): Promise<SyncSession> =>
  openDocument({
    document: "shop",
    dial: webSocketDialer(url),
    rules: rulesFromManifest,
    backoff: { maxMs: 200 },
  });

describe("converge serve --redis", () => {
  it("two servers share a document; while Redis is down each acknowledges its own clients; then they converge", async () => {
    const args = (n: number): string[] => ["--port", "0", "--data", join(dir, `s${n}`), "--redis", redis.url];
    const [one, two] = await Promise.all([startServe(args(1)), startServe(args(2))]);
    try {
      // printed right after the listening line, maybe in a later chunk
      await until(
        () =>
          /scale-out through Redis at redis:\/\/127\.0\.0\.1:\d+ as member [0-9a-f]{16}/.test(one.output()),
        "the member line",
      );
      const a = await open(one.url);
      const b = await open(two.url);
      a.map.set("price", 120);
      await until(() => b.map.get("price") === 120, "a write on server 1 seen by a client of server 2");

      await redis.stop();
      await until(() => /Redis unreachable/.test(one.output()), "server 1 saying Redis is unreachable");
      a.map.set("price", 99);
      b.map.set("stock", 7);
      await a.whenSynced();
      await until(
        () => a.outboxSize() === 0 && b.outboxSize() === 0,
        "both servers acknowledging while Redis is down",
      );
      expect(b.map.get("price")).toBe(120); // nothing crosses while the hub is down

      await redis.start();
      await until(() => /Redis reachable again/.test(one.output()), "server 1 saying Redis is back");
      await until(
        () => b.map.get("price") === 99 && a.map.get("stock") === 7,
        "both writes made during the outage on both sides",
      );
      await a.close();
      await b.close();
    } finally {
      await Promise.all([one.kill(), two.kill()]);
    }
  }, 60_000);

  it("closes its hub on shutdown, and refuses a bad --redis or --redis-max-len", async () => {
    const out: string[] = [];
    const err: string[] = [];
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((r) => {
      stop = r;
    });
    let server: ConvergeServer | undefined;
    const io = {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      stopped,
      started: (s: ConvergeServer) => {
        server = s;
      },
    };
    const running = serve(["--port", "0", "--redis", redis.url, "--redis-max-len", "50"], io);
    await until(() => server !== undefined, "the server listening");
    const hubClients = async (): Promise<number> =>
      (await redis.command("CLIENT", "LIST")).split("\n").filter((l) => l.includes("name=converge-hub-"))
        .length;
    await until(() => out.some((l) => l.includes("as member")), "the member line");
    expect(await hubClients()).toBe(2); // the command and the reader connection
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(out.at(-1)).toBe("converge serve: closed");
    let left = await hubClients();
    for (const deadline = Date.now() + 5000; left !== 0 && Date.now() < deadline; left = await hubClients()) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toBe(0);

    for (const bad of [
      ["--redis", "http://127.0.0.1:6379"],
      ["--redis", ""],
      ["--redis-max-len", "10"],
      ["--redis", redis.url, "--redis-max-len", "0"],
    ]) {
      const lines: string[] = [];
      expect(
        await serve(["--port", "0", ...bad], { out: () => {}, err: (l) => lines.push(l) }),
        bad.join(" "),
      ).toBe(64);
      expect(lines.join("\n")).toMatch(/--redis/);
    }
  }, 30_000);
});
