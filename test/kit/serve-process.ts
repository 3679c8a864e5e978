import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../packages/cli/bin/converge.js", import.meta.url));

/** A `converge serve` process started by {@link startServe}. */
export interface ServeProcess {
  readonly proc: ChildProcess;
  /** The `ws://…/sync` URL it printed. */
  readonly url: string;
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string;
  /** SIGKILL (`kill -9`), resolved once it has exited. */
  readonly kill: () => Promise<void>;
  /** SIGTERM (a clean stop: closes connections, the host, the hub), resolved with its exit code. */
  readonly stop: () => Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

/**
 * Runs `converge serve …args` from the workspace sources as the server process itself (no
 * launcher in between, so SIGKILL hits the server), and resolves once it prints that it listens.
 * Rejects, with its output, if it exits first or takes more than `startMs` (default 20 s).
 */
export function startServe(args: readonly string[], startMs = 20_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--no-node-snapshot", "--conditions=@converge/source", bin, "serve", ...args],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CONVERGE_CLI_CHILD: "1" } },
    );
    running.add(proc);
    let out = "";
    const exited = new Promise<number | null>((r) =>
      proc.once("exit", (code) => {
        running.delete(proc);
        r(code);
      }),
    );
    const guard = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`converge serve ${args.join(" ")} did not listen within ${startMs} ms:\n${out}`));
    }, startMs);
    const done = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
    const handle: Omit<ServeProcess, "url"> = {
      proc,
      output: () => out,
      kill: async () => {
        if (!done()) proc.kill("SIGKILL");
        await exited;
      },
      stop: async () => {
        if (!done()) proc.kill("SIGTERM");
        return exited;
      },
    };
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(guard);
        resolve({ ...handle, url: m[1] as string });
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.once("exit", () => {
      clearTimeout(guard);
      reject(new Error(`converge serve ${args.join(" ")} exited before listening:\n${out}`));
    });
  });
}
