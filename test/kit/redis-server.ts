import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private `redis-server` for one test file: 127.0.0.1, a free port, a temp dir, no persistence. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. Stays the same across `restart()`. */
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: nothing to save) and waits until it has exited. Idempotent. */
  readonly stop: () => Promise<void>;
  /** Starts it again on the same port, empty (no persistence), once stopped; waits until it answers. */
  readonly start: () => Promise<void>;
  /** `stop()` then `start()`: every stream is gone afterwards, as after a crash without persistence. */
  readonly restart: () => Promise<void>;
  /** `CLIENT PAUSE <ms> ALL`: every client's commands hang for `ms`. Resolves once the pause is set. */
  readonly pause: (ms: number) => Promise<void>;
  /** Sends one command on a fresh connection; resolves with its raw RESP reply (simple replies only). */
  readonly command: (...args: readonly string[]) => Promise<string>;
  /** Stops the server and removes its directory. Idempotent; also run at process exit. */
  readonly dispose: () => Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

/** The redis-server binary: `CONVERGE_REDIS_SERVER`, else `redis-server` on PATH. */
function binary(): string {
  const given = process.env["CONVERGE_REDIS_SERVER"];
  const bin = given !== undefined && given !== "" ? given : "redis-server";
  const probe = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `redis-server not found (${bin}): the Redis tests need Debian's package redis-server ` +
        "(as root: apt-get install redis-server; ./run test installs it). No test is skipped.",
    );
  }
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Encodes a command as a RESP array of bulk strings. */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** One command on a fresh connection; resolves with the first reply line(s) received. */
function send(port: number, args: readonly string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port} did not answer ${args[0]} within ${timeoutMs} ms`));
    }, timeoutMs);
    let reply = "";
    socket.once("connect", () => socket.write(resp(args)));
    socket.on("data", (d: Buffer) => {
      reply += d.toString("utf8");
      if (reply.endsWith("\r\n")) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Starts a private `redis-server` on a free 127.0.0.1 port with its own temp dir
 * (`--save "" --appendonly no`), and waits until it answers PING. Throws, naming the Debian
 * package, when redis-server is missing. Call `dispose()` in `afterAll` (it also runs at exit).
 */
export async function startRedisServer(): Promise<RedisServer> {
  const bin = binary();
  const dir = mkdtempSync(join(tmpdir(), "converge-redis-"));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  let log = "";

  const start = async (): Promise<void> => {
    if (proc !== undefined) return;
    log = "";
    const child = spawn(
      bin,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    running.add(child);
    proc = child;
    child.stdout?.on("data", (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child.stderr?.on("data", (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child.once("exit", () => {
      running.delete(child);
      if (proc === child) proc = undefined;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc !== child) throw new Error(`redis-server exited at start on port ${port}:\n${log}`);
      try {
        if ((await send(port, ["PING"], 500)).startsWith("+PONG")) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not answer on port ${port} within 10 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const stop = (): Promise<void> => {
    const child = proc;
    if (child === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    pause: async (ms) => {
      const reply = await send(port, ["CLIENT", "PAUSE", String(ms), "ALL"]);
      if (!reply.startsWith("+OK")) throw new Error(`CLIENT PAUSE failed: ${reply}`);
    },
    command: (...args) => send(port, args),
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
