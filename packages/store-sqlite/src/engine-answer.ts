import { unpackBatches } from "./batch-codec.ts";
import { type SqliteEngine, sqliteEngine } from "./sqlite-engine.ts";
import { faultOf } from "./store-fault.ts";
import {
  documentBuffers,
  type KeptAside,
  type WorkerInit,
  type WorkerReply,
  type WorkerRequest,
} from "./worker-protocol.ts";

/**
 * The engine a worker (or the calling thread, until the worker is up) runs for `init`; damage
 * kept aside is handed to `keep` when the store's `onCorrupt` is a function.
 */
export function engineFor(init: WorkerInit, keep: (kept: KeptAside) => void): SqliteEngine {
  return sqliteEngine({
    path: init.path,
    synchronous: init.synchronous,
    maxBytes: init.maxBytes,
    onCorrupt: init.onCorrupt === "refuse" ? "refuse" : (error, keptAt) => keep({ error, keptAt }),
  });
}

/**
 * Runs one request on an engine and builds its reply (and the buffers to transfer with it): the
 * worker thread's loop, and the calling thread's while the worker is still starting.
 * `kept` is what the engine kept aside while answering; it rides along with the reply.
 */
export function answerRequest(
  engine: SqliteEngine,
  path: string,
  req: WorkerRequest,
  kept: readonly KeptAside[] | (() => readonly KeptAside[]),
): { readonly reply: WorkerReply; readonly transfer: ArrayBuffer[] } {
  const told = (): readonly KeptAside[] => (typeof kept === "function" ? kept() : kept);
  try {
    let value: Extract<WorkerReply, { ok: true }>["value"] = null;
    let transfer: ArrayBuffer[] = [];
    switch (req.op) {
      case "docId":
        value = engine.docId(req.name);
        break;
      case "load": {
        const doc = engine.load(req.name, req.doc);
        value = doc;
        transfer = documentBuffers(doc);
        break;
      }
      case "names":
        value = engine.names();
        break;
      case "commit":
        value = engine.commitGroup(unpackBatches(req.buffer, req.count)).map((e) => e ?? null);
        break;
      case "inherit":
        engine.inheritDamage(req.damage);
        break;
      case "close":
        engine.close();
        break;
    }
    return { reply: { id: req.id, ok: true, value, kept: told() }, transfer };
  } catch (e) {
    return { reply: { id: req.id, ok: false, error: faultOf(e, path), kept: told() }, transfer: [] };
  }
}
