import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childReady } from "../child-ready.ts";
import type { StorageFromChild, StorageSystem, StorageToChild } from "./storage-systems.ts";

/** A storage bench server in a child process. */
export interface StorageServer {
  readonly url: string;
  /** The child's CPU time so far (user + system), µs. */
  readonly cpuUs: () => Promise<number>;
  /** Stops it; kills the child if it has not exited within 5 s. */
  readonly stop: () => Promise<void>;
}

const CHILD = fileURLToPath(new URL("./storage-child.ts", import.meta.url));

/** Forks `system`'s server with its data in `dir`; rejects (killing the child) if not ready in `timeoutMs`. */
export async function startStorageServer(
  system: StorageSystem,
  dir: string,
  timeoutMs: number,
): Promise<StorageServer> {
  // BENCH_STORAGE_SERVER_PROF=dir: each server child writes a V8 CPU profile there when it stops.
  const prof = process.env["BENCH_STORAGE_SERVER_PROF"];
  const profile = prof === undefined || prof === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${prof}`];
  const child: ChildProcess = fork(CHILD, [system, dir], {
    execArgv: ["--conditions=@converge/source", "--no-warnings", ...profile],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let cpuWaiter: ((us: number) => void) | undefined;
  const send = (msg: StorageToChild): void => {
    if (child.connected) child.send(msg);
  };
  try {
    const port = await childReady<StorageFromChild>(child, exit, `${system} server`, timeoutMs, (msg) => {
      if (msg.type === "cpu") cpuWaiter?.(msg.us);
    });
    return {
      url: `ws://127.0.0.1:${port}`,
      cpuUs: () =>
        new Promise<number>((resolve) => {
          cpuWaiter = resolve;
          send({ type: "cpu" });
        }),
      stop: async () => {
        send({ type: "stop" });
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exit;
        clearTimeout(timer);
      },
    };
  } catch (e) {
    child.kill("SIGKILL");
    await exit;
    throw e;
  }
}
