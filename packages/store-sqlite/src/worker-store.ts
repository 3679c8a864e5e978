import { Worker } from "node:worker_threads";
import type { ConvergeError } from "@converge/hlc";
import { type DocumentStore, type StoredDocument, SyncError } from "@converge/sync";
import { batchPacker } from "./batch-codec.ts";
import { answerRequest, engineFor } from "./engine-answer.ts";
import type { SqliteEngine } from "./sqlite-engine.ts";
import { errorFromWire, SqliteStoreError } from "./sqlite-store-error.ts";
import type { SqliteStore, SqliteStoreOptions } from "./sqlite-store-options.ts";
import type { WireError } from "./store-fault.ts";
import type { KeptAside, WireDocument, WorkerInit, WorkerReply, WorkerRequest } from "./worker-protocol.ts";

/** Running from TypeScript sources (tests, the source condition): the worker is the .ts file. */
const source = import.meta.url.endsWith(".ts");
const workerFile = new URL(`./sqlite-worker.${source ? "ts" : "js"}`, import.meta.url);

/** Distributes the request types over the union (an omitted `id` per member). */
type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

type ReplyValue = Extract<WorkerReply, { ok: true }>["value"];

interface Call {
  readonly resolve: (value: ReplyValue) => void;
  readonly reject: (error: ConvergeError) => void;
}

interface QueuedCommit {
  readonly resolve: () => void;
  readonly reject: (error: ConvergeError) => void;
}

/** The worker of each worker store and when it started, for tests (not exported from the package). */
export const workerOf: WeakMap<SqliteStore, { readonly worker: Worker; readonly started: Promise<void> }> =
  new WeakMap();

/**
 * `sqliteStore({ thread: "worker" })`: the connection lives on a `node:worker_threads` worker;
 * this thread only posts requests and settles promises from the replies. A commit's byte arrays
 * are copied once, as the `Store` law asks, into the buffer its transaction is sent in
 * (`batchPacker`), transferred to the worker, not cloned.
 *
 * Group commit: at most one commit transaction is in flight; commits called meanwhile queue here
 * and all go to the worker as the next transaction (one fsync) in the turn after its reply;
 * commits called while none is in flight go together at the end of the event loop's turn.
 * Requests are answered in the order sent, so a load sees every commit that resolved before it.
 *
 * A worker that exits or crashes fails the store: every pending commit and call rejects with
 * `SQLITE_WORKER_DIED` (a commit in flight may or may not be on disk — it was never
 * acknowledged), `failure()` returns that error, `onFailure` is told, and every later call rejects
 * with it. The worker keeps the process alive only while requests are pending.
 */
export function workerSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const init: WorkerInit = {
    path: options.path,
    synchronous: options.synchronous ?? "full",
    maxBytes: options.maxBytes,
    onCorrupt: typeof options.onCorrupt === "function" ? "report" : "refuse",
  };
  const worker = new Worker(workerFile, {
    workerData: init,
    execArgv: source ? ["--conditions=@converge/source"] : [],
  });
  // Until the worker has started (tens of ms, more on a busy machine), requests run on this
  // thread, on a connection of its own that is closed when the worker reports it is up: a server
  // that just restarted serves its first clients without waiting for a thread to boot. (Not for
  // ":memory:", where two connections would be two databases.)
  let starter: SqliteEngine | undefined =
    options.path === ":memory:" ? undefined : engineFor(init, (k) => starterKept.push(k));
  let starterKept: KeptAside[] = [];
  let nextId = 1;
  const calls = new Map<number, Call>();
  let queue: QueuedCommit[] = [];
  /** The queued batches' bytes, in queue order. */
  const packer = batchPacker();
  let inFlight = false;
  const unsettled = new Set<Promise<void>>();
  let failure: ConvergeError | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  const closedError = (what: string): SyncError => new SyncError("STORE_CLOSED", `${options.path}: ${what}`);

  let held = false;
  /** The worker holds the process open only while something waits for it. */
  const hold = (): void => {
    const want = calls.size + queue.length > 0;
    if (want === held) return;
    held = want;
    if (want) worker.ref();
    else worker.unref();
  };

  const fail = (error: ConvergeError): void => {
    if (failure !== undefined) return;
    failure = error;
    const waiting = [...calls.values()];
    calls.clear();
    const queued = queue;
    queue = [];
    for (const c of waiting) c.reject(error);
    for (const q of queued) q.reject(error);
    hold();
    options.onFailure?.(error);
  };

  worker.on("error", (e: unknown) => {
    fail(
      new SqliteStoreError(
        "SQLITE_WORKER_DIED",
        `${options.path}: the store's worker thread crashed: ${String(e)}`,
        {
          cause: e,
        },
      ),
    );
  });
  worker.on("exit", (code: number) => {
    exited = true;
    if (closed && calls.size === 0) return;
    fail(
      new SqliteStoreError(
        "SQLITE_WORKER_DIED",
        `${options.path}: the store's worker thread exited (code ${code})`,
      ),
    );
  });

  const tell = (kept: readonly KeptAside[]): void => {
    const onCorrupt = options.onCorrupt;
    if (typeof onCorrupt !== "function") return;
    for (const k of kept) onCorrupt(errorFromWire(k.error) as SyncError, k.keptAt);
  };

  let markStarted = (): void => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  worker.on("message", (reply: WorkerReply) => {
    if (reply.id === 0) {
      markStarted();
      // The worker is up: hand over (nothing of the starter is pending, its calls are synchronous).
      const damage = starter?.damage();
      starter?.close();
      starter = undefined;
      if (damage !== undefined) worker.postMessage({ id: nextId++, op: "inherit", damage });
      return;
    }
    const call = calls.get(reply.id);
    if (call === undefined) return;
    calls.delete(reply.id);
    tell(reply.kept);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(errorFromWire(reply.error));
    hold();
  });

  const request = (req: Request, transfer: readonly ArrayBuffer[] = []): Promise<ReplyValue> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (exited) return Promise.reject(closedError("the store is closed"));
    const id = nextId++;
    if (starter !== undefined) {
      const { reply } = answerRequest(
        starter,
        options.path,
        { ...req, id } as WorkerRequest,
        () => starterKept,
      );
      starterKept = [];
      tell(reply.kept);
      return reply.ok ? Promise.resolve(reply.value) : Promise.reject(errorFromWire(reply.error));
    }
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      hold();
      worker.postMessage({ ...req, id }, [...transfer]);
    });
  };

  let scheduled = false;
  /**
   * Sends everything queued as one transaction once this turn of the event loop is over (so the
   * commits a reply's acknowledgements set off, one per document, travel together), unless one
   * is in flight: then right after its reply.
   */
  const pump = (): void => {
    if (scheduled || inFlight || queue.length === 0 || failure !== undefined) return;
    scheduled = true;
    setImmediate(send);
  };
  const send = (): void => {
    scheduled = false;
    if (inFlight || queue.length === 0 || failure !== undefined) return;
    const group = queue;
    queue = [];
    const count = packer.count();
    const buffer = packer.take();
    inFlight = true;
    request({ op: "commit", buffer, count }, [buffer]).then(
      (value) => {
        inFlight = false;
        const errors = value as readonly (WireError | null)[];
        for (const [i, q] of group.entries()) {
          const e = errors[i];
          if (e === null || e === undefined) q.resolve();
          else q.reject(errorFromWire(e));
        }
        hold();
        pump();
      },
      (error: ConvergeError) => {
        inFlight = false;
        for (const q of group) q.reject(error);
        hold();
        pump();
      },
    );
  };

  const open = async (name: string): Promise<DocumentStore> => {
    if (closed) throw closedError("the store is closed");
    const doc = (await request({ op: "docId", name })) as number;
    let handleClosed = false;
    const refusal = (): ConvergeError | undefined => {
      if (closed || handleClosed) return closedError(`document ${JSON.stringify(name)} is closed`);
      return failure;
    };
    return {
      load: async () => {
        const refused = refusal();
        if (refused !== undefined) throw refused;
        const wire = (await request({ op: "load", name, doc })) as WireDocument;
        const { damaged, ...records } = wire;
        const loaded: StoredDocument =
          damaged === undefined ? records : { ...records, damaged: errorFromWire(damaged) };
        return loaded;
      },
      commit: (batch) => {
        const refused = refusal();
        if (refused !== undefined) return Promise.reject(refused);
        try {
          packer.add(doc, batch); // the copy: the caller may reuse its arrays once this returns
        } catch (e) {
          return Promise.reject(e);
        }
        const p = new Promise<void>((resolve, reject) => {
          queue.push({ resolve, reject });
          hold();
        });
        unsettled.add(p);
        const forget = (): void => {
          unsettled.delete(p);
        };
        p.then(forget, forget);
        pump();
        return p;
      },
      close: async () => {
        handleClosed = true;
        await Promise.allSettled([...unsettled]);
      },
    };
  };

  const store: SqliteStore = {
    open,
    documents: async () => {
      if (closed) throw closedError("the store is closed");
      return (await request({ op: "names" })) as readonly string[];
    },
    failure: () => failure,
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled([...unsettled]);
        closed = true;
        if (starter !== undefined) {
          starter.close();
          starter = undefined;
          if (!exited) await worker.terminate();
        } else if (failure === undefined && !exited) {
          await request({ op: "close" }).catch(() => {});
          worker.ref(); // until it has exited, or the process could end first
          await exit;
        } else if (!exited) await worker.terminate();
      })();
      return closing;
    },
  };
  // Unref'd only now: attaching the listeners above refs the worker's port again.
  worker.unref();
  workerOf.set(store, { worker, started });
  return store;
}
