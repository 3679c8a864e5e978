import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchTimeout } from "../sync/wait.ts";

/** A private redis-server the bench started: 127.0.0.1 only, no persistence, its own temp dir. */
export interface RedisProcess {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGTERM, SIGKILL after 3 s) and removes its directory. Idempotent. */
  readonly stop: () => Promise<void>;
}

/** The redis-server binary: BENCH_REDIS_SERVER, else `redis-server` on the PATH. */
export function redisServerBinary(env: Readonly<Record<string, string | undefined>>): string {
  const set = env["BENCH_REDIS_SERVER"];
  return set === undefined || set.trim() === "" ? "redis-server" : set;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("redis: no free port");
  return address.port;
}

/**
 * Starts `binary` on a free 127.0.0.1 port with no snapshots and no append-only file, in a fresh
 * temp directory; resolves once it logs that it accepts connections. A port taken between the
 * probe and the bind is retried (three attempts). Rejects naming Debian's `redis-server` package
 * when the binary is missing.
 */
export async function startRedisProcess(binary: string, timeoutMs: number): Promise<RedisProcess> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, await freePort(), timeoutMs);
    } catch (e) {
      if (e instanceof Error && e.message.includes("not found")) throw e;
      last = e;
    }
  }
  throw last;
}

async function startOnce(binary: string, port: number, timeoutMs: number): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), "converge-bench-redis-"));
  const child: ChildProcess = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--protected-mode",
      "yes",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      resolve();
    };
    child.once("exit", done);
    // A binary that could not be spawned emits "error" and never "exit".
    child.once("error", done);
  });
  const cleanup = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchTimeout("redis-server to start", timeoutMs)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString("utf8");
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          e.code === "ENOENT"
            ? new Error(
                `redis: ${binary} not found; install Debian's redis-server package (apt-get install redis-server) or set BENCH_REDIS_SERVER`,
              )
            : e,
        );
      });
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited before it was ready: ${output.slice(-500)}`));
      });
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  // Output is no longer needed; keep draining so the pipes never fill.
  child.stdout?.removeAllListeners("data").resume();
  child.stderr?.removeAllListeners("data").resume();
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () => {
      stopping ??= cleanup();
      return stopping;
    },
  };
}
