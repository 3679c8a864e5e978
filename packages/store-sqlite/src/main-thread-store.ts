import { isConvergeError } from "@converge/hlc";
import {
  copyStoreBatch,
  type DocumentStore,
  type StoreBatch,
  type StoredDocument,
  type SyncError,
} from "@converge/sync";
import { sqliteEngine } from "./sqlite-engine.ts";
import { errorFromWire } from "./sqlite-store-error.ts";
import type { SqliteStore, SqliteStoreOptions } from "./sqlite-store-options.ts";
import { faultOf, type WireError } from "./store-fault.ts";

interface Pending {
  readonly doc: number;
  readonly batch: StoreBatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * `sqliteStore({ thread: "main" })`: the connection on the calling thread. Every commit called
 * before the event loop turns joins one transaction and one fsync, run in a `setImmediate`; the
 * thread (a server's event loop) is blocked for the length of that commit.
 */
export function mainThreadSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const told = options.onCorrupt;
  const engine = sqliteEngine({
    path: options.path,
    synchronous: options.synchronous ?? "full",
    maxBytes: options.maxBytes,
    onCorrupt:
      typeof told === "function" ? (e, keptAt) => told(errorFromWire(e) as SyncError, keptAt) : "refuse",
  });
  let closed = false;
  let pending: Pending[] = [];
  let flushing: Promise<void> | undefined;
  const closedError = (what: string): Error =>
    errorFromWire({ code: "STORE_CLOSED", message: `${options.path}: ${what}` });

  const flush = (): void => {
    const group = pending;
    pending = [];
    let results: (WireError | undefined)[];
    try {
      results = engine.commitGroup(group);
    } catch (e) {
      const error = errorFromWire(faultOf(e, options.path));
      for (const p of group) p.reject(error);
      return;
    }
    for (const [i, p] of group.entries()) {
      const e = results[i];
      if (e === undefined) p.resolve();
      else p.reject(errorFromWire(e));
    }
  };

  const schedule = (): void => {
    if (flushing !== undefined) return;
    flushing = new Promise<void>((done) => {
      setImmediate(() => {
        flushing = undefined;
        try {
          flush();
        } finally {
          done();
        }
      });
    });
  };

  /** Runs a synchronous engine call as a promise (typed errors only). */
  const call = <T>(f: () => T): Promise<T> => {
    try {
      if (closed) throw closedError("the store is closed");
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(isConvergeError(e) ? e : errorFromWire(faultOf(e, options.path)));
    }
  };

  const open = async (name: string): Promise<DocumentStore> => {
    const doc = await call(() => engine.docId(name));
    let handleClosed = false;
    const check = (): void => {
      if (closed || handleClosed) throw closedError(`document ${JSON.stringify(name)} is closed`);
    };
    return {
      load: () =>
        call(() => {
          check();
          const { damaged, ...records } = engine.load(name, doc);
          const loaded: StoredDocument =
            damaged === undefined ? records : { ...records, damaged: errorFromWire(damaged) };
          return loaded;
        }),
      commit: (batch) => {
        try {
          check();
        } catch (e) {
          return Promise.reject(e);
        }
        const frozen = copyStoreBatch(batch);
        return new Promise<void>((resolve, reject) => {
          pending.push({ doc, batch: frozen, resolve, reject });
          schedule();
        });
      },
      close: async () => {
        handleClosed = true;
        await flushing;
      },
    };
  };

  return {
    open,
    documents: () => call(() => engine.names()),
    failure: () => undefined,
    close: async () => {
      if (closed) return;
      while (flushing !== undefined) await flushing;
      closed = true;
      engine.close();
    },
  };
}
