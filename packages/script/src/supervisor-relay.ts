/**
 * The supervisor's relay: a worker thread of the host that owns the child process running the
 * engine. The host blocks on a shared counter while the relay, whose event loop keeps running,
 * forwards the request, arms the watchdog, and answers — with the result, or with `crashed` when
 * the child died (a fatal V8 error kills only the child) or hung past the bound (it is killed).
 * A new child is started on the next request, with the scripts it had loaded.
 */
import { type ChildProcess, fork } from "node:child_process";
import { workerData } from "node:worker_threads";
import type { RelayData, Reply, Request } from "./supervisor-protocol.ts";

const { ctrl, port, child: childPath, execArgv, engine, limits } = workerData as RelayData;
const loaded = new Map<string, string>(); // hash → source, replayed into a new child
let child: ChildProcess | undefined;
let pending: { id: number; timer: ReturnType<typeof setTimeout> } | undefined;
let hung = false;

const answer = (reply: Reply): void => {
  // The results' numbers are handed over, not copied (the relay keeps nothing of a reply).
  const nums = reply.op === "run" && reply.nums instanceof Float64Array ? reply.nums.buffer : undefined;
  port.postMessage(reply, nums instanceof ArrayBuffer ? [nums] : []);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
};

const settle = (reply: Reply): void => {
  if (pending === undefined || pending.id !== reply.id) return;
  clearTimeout(pending.timer);
  pending = undefined;
  if (reply.op === "load") loaded.set(reply.hash, lastSource);
  answer(reply);
};

let lastSource = "";

const start = (): ChildProcess => {
  const c = fork(childPath, [JSON.stringify({ engine, limits })], {
    execArgv: [...execArgv],
    serialization: "advanced",
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  c.on("message", (m: Reply) => {
    if (m.id !== 0) settle(m);
  });
  c.on("exit", (code, signal) => {
    if (child === c) child = undefined;
    if (pending !== undefined) {
      const why = hung ? "hung" : "exit";
      settle({
        id: pending.id,
        op: "crashed",
        why,
        detail: `the engine process ended (${signal ?? `code ${code}`})`,
      });
    }
    hung = false;
  });
  c.on("error", () => {});
  // Scripts loaded before a crash are loaded again (answers with id 0 are not waited for).
  for (const source of loaded.values()) c.send({ id: 0, op: "load", source, bound: 0 } satisfies Request);
  return c;
};

port.on("message", (req: Request) => {
  child ??= start();
  if (req.op === "load") lastSource = req.source;
  const c = child;
  pending = {
    id: req.id,
    timer: setTimeout(() => {
      // The watchdog: past the bound the child is killed, whatever it is doing.
      hung = true;
      c.kill("SIGKILL");
    }, req.bound),
  };
  c.send(req);
});
