import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childReady } from "../child-ready.ts";
import type { FromChild, ServerStats, SystemId, ToChild } from "./server-messages.ts";
import { BenchTimeout } from "./wait.ts";

/** A server running in its own child process. */
export interface ServerProcess {
  readonly system: SystemId;
  readonly port: number;
  readonly pid: number;
  /** The child's CPU and memory (after GC), read inside it. */
  readonly stats: () => Promise<ServerStats>;
  /** Stops the server; kills the child if it has not exited within 3 s. Idempotent. */
  readonly stop: () => Promise<void>;
}

const CHILD = fileURLToPath(new URL("./server-child.ts", import.meta.url));

/** What a server child serves besides its system's defaults. */
export interface ServerChildOptions {
  /**
   * `redis://127.0.0.1:PORT`: the server joins a cluster through that Redis (converge with
   * `@converge/redis`'s hub, Hocuspocus with `@hocuspocus/extension-redis`); see cluster/servers.
   */
  readonly redisUrl?: string;
}

/**
 * Forks a child running `system`'s server (alone, or in a Redis cluster with `options.redisUrl`);
 * rejects (and kills the child) if it is not ready within `timeoutMs`.
 */
export async function startServerProcess(
  system: SystemId,
  timeoutMs: number,
  options: ServerChildOptions = {},
): Promise<ServerProcess> {
  // BENCH_SYNC_SERVER_PROF=dir: each server child writes a V8 CPU profile there when it stops.
  const prof = process.env["BENCH_SYNC_SERVER_PROF"];
  const profile = prof === undefined || prof === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${prof}`];
  const args = options.redisUrl === undefined ? [system] : [system, options.redisUrl];
  const child: ChildProcess = fork(CHILD, args, {
    execArgv: [
      "--conditions=@converge/source",
      "--expose-gc",
      "--no-node-snapshot",
      "--no-warnings",
      ...profile,
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 0;
  const waiting = new Map<number, (s: ServerStats) => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  const kill = async (): Promise<void> => {
    if (exited) return;
    child.kill("SIGKILL");
    await exit;
  };
  try {
    const port = await childReady<FromChild>(child, exit, `${system} server`, timeoutMs, (msg) => {
      if (msg.type === "stats") {
        waiting.get(msg.id)?.(msg.stats);
        waiting.delete(msg.id);
      }
    });
    const send = (msg: ToChild): void => {
      if (!exited && child.connected) child.send(msg);
    };
    let stopping: Promise<void> | undefined;
    return {
      system,
      port,
      pid: child.pid ?? -1,
      stats: () => {
        if (exited) return Promise.reject(new Error(`${system} server exited`));
        const id = nextId++;
        return new Promise<ServerStats>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.delete(id);
            reject(new BenchTimeout(`${system} server stats`, 30_000));
          }, 30_000);
          waiting.set(id, (s) => {
            clearTimeout(timer);
            resolve(s);
          });
          send({ type: "stats", id });
        });
      },
      stop: () => {
        stopping ??= (async () => {
          send({ type: "stop" });
          const timer = setTimeout(() => void kill(), 3000);
          await exit;
          clearTimeout(timer);
        })();
        return stopping;
      },
    };
  } catch (e) {
    await kill();
    throw e;
  }
}
