// The worker thread of `sqliteStore({ thread: "worker" })`: owns the store's one SQLite
// connection and answers the main thread's requests in order (see worker-protocol.ts). Its
// blocking calls (every commit's fsync) stop only this thread, never the server's event loop.
import { parentPort, workerData } from "node:worker_threads";
import { unpackBatches } from "./batch-codec.ts";
import { sqliteEngine } from "./sqlite-engine.ts";
import { faultOf } from "./store-fault.ts";
import {
  documentBuffers,
  type KeptAside,
  type WorkerInit,
  type WorkerReply,
  type WorkerRequest,
} from "./worker-protocol.ts";

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("sqlite-worker.ts runs only as a worker thread");
let kept: KeptAside[] = [];
const engine = sqliteEngine({
  path: init.path,
  synchronous: init.synchronous,
  maxBytes: init.maxBytes,
  onCorrupt:
    init.onCorrupt === "refuse"
      ? "refuse"
      : (error, keptAt) => {
          kept.push({ error, keptAt });
        },
});

const answer = (
  req: WorkerRequest,
): { value: Exclude<WorkerReply, { ok: false }>["value"]; transfer: ArrayBuffer[] } => {
  switch (req.op) {
    case "docId":
      return { value: engine.docId(req.name), transfer: [] };
    case "load": {
      const doc = engine.load(req.name, req.doc);
      return { value: doc, transfer: documentBuffers(doc) };
    }
    case "names":
      return { value: engine.names(), transfer: [] };
    case "commit":
      return {
        value: engine.commitGroup(unpackBatches(req.buffer, req.count)).map((e) => e ?? null),
        transfer: [],
      };
    case "close":
      engine.close();
      return { value: null, transfer: [] };
  }
};

port.on("message", (req: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const r = answer(req);
    reply = { id: req.id, ok: true, value: r.value, kept };
    transfer = r.transfer;
  } catch (e) {
    reply = { id: req.id, ok: false, error: faultOf(e, init.path), kept };
  }
  kept = [];
  port.postMessage(reply, transfer);
  if (req.op === "close") port.close();
});
