// The worker thread of `sqliteStore({ thread: "worker" })`: owns the store's one SQLite
// connection and answers the main thread's requests in order (see worker-protocol.ts). Its
// blocking calls (every commit's fsync) stop only this thread, never the server's event loop.
import { parentPort, workerData } from "node:worker_threads";
import { answerRequest, engineFor } from "./engine-answer.ts";
import type { KeptAside, WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol.ts";

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("sqlite-worker.ts runs only as a worker thread");
let kept: KeptAside[] = [];
const engine = engineFor(init, (k) => kept.push(k));

port.on("message", (req: WorkerRequest) => {
  const { reply, transfer } = answerRequest(engine, init.path, req, () => kept);
  kept = [];
  port.postMessage(reply, transfer);
  if (req.op === "close") port.close();
});
// Started: from now on the caller sends its requests here (id 0 answers no request).
const started: WorkerReply = { id: 0, ok: true, value: null, kept: [] };
port.postMessage(started);
