import type { ChildProcess } from "node:child_process";
import { BenchTimeout } from "./sync/wait.ts";

/** What a forked server child says first: ready on a port, or why it failed. */
type FirstWords =
  | { readonly type: "ready"; readonly port: number }
  | { readonly type: "error"; readonly message: string };

/**
 * Resolves with the port a forked server child reports (`{ type: "ready", port }`); rejects when
 * it reports `{ type: "error" }`, exits first, or says nothing for `timeoutMs`. Every other
 * message of the child goes to `onOther`, now and after it is ready.
 */
export function childReady<M extends { readonly type: string }>(
  child: ChildProcess,
  exit: Promise<void>,
  what: string,
  timeoutMs: number,
  onOther: (msg: M) => void,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenchTimeout(`${what} to start`, timeoutMs)), timeoutMs);
    child.on("message", (raw) => {
      // Messages from our own child, typed by the caller's protocol.
      const msg = raw as M | FirstWords;
      if (msg.type === "ready") {
        clearTimeout(timer);
        resolve((msg as FirstWords & { type: "ready" }).port);
      } else if (msg.type === "error") {
        clearTimeout(timer);
        reject(new Error(`${what} failed: ${(msg as FirstWords & { type: "error" }).message}`));
      } else onOther(msg as M);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before it was ready`));
    });
  });
}
