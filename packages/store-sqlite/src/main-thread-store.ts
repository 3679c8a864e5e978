import { type ConvergeError, isConvergeError } from "@converge/hlc";
import { copyStoreBatch, type DocumentStore, type StoreBatch, SyncError } from "@converge/sync";
import { sqliteEngine } from "./sqlite-engine.ts";
import type { SqliteStore, SqliteStoreOptions } from "./sqlite-store.ts";
import { toStoreError } from "./sqlite-store-error.ts";

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
  const engine = sqliteEngine({
    path: options.path,
    synchronous: options.synchronous ?? "full",
    maxBytes: options.maxBytes,
    onCorrupt: options.onCorrupt ?? "refuse",
  });
  let closed = false;
  let pending: Pending[] = [];
  let flushing: Promise<void> | undefined;
  const closedError = (what: string): SyncError => new SyncError("STORE_CLOSED", `${options.path}: ${what}`);

  const flush = (): void => {
    const group = pending;
    pending = [];
    let results: (ConvergeError | undefined)[];
    try {
      results = engine.commitGroup(group);
    } catch (e) {
      for (const p of group) p.reject(e);
      return;
    }
    for (const [i, p] of group.entries()) {
      const e = results[i];
      if (e === undefined) p.resolve();
      else p.reject(e);
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
      return Promise.reject(isConvergeError(e) ? e : toStoreError(e, options.path));
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
          return engine.load(name, doc);
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
