import type { ConvergeError } from "@converge/hlc";
import type { Store, SyncError } from "@converge/sync";

/** Options of `sqliteStore`. */
export interface SqliteStoreOptions {
  /** The database file (created if absent), or `":memory:"` for tests. */
  readonly path: string;
  /**
   * `"full"` (default): every commit is fsynced before its promise resolves — survives power
   * loss. `"normal"`: WAL writes reach the OS before the promise resolves but are fsynced only at
   * checkpoints — survives a killed process (kill -9), not a power cut. Both are atomic.
   */
  readonly synchronous?: "full" | "normal";
  /**
   * Where the SQLite connection lives. `"worker"` (default): on a `node:worker_threads` worker of
   * its own, so a commit's fsync never stops the calling thread's event loop (a server keeps
   * reading and merging frames meanwhile); commits made while one is in flight share the next
   * transaction. `"main"`: on the calling thread, commits of one event-loop turn sharing a
   * transaction that blocks the thread while it runs. Same file format, rows, transactions,
   * errors and durability either way.
   */
  readonly thread?: "worker" | "main";
  /**
   * Refuse commits that would grow the database file past this many bytes (rounded down to
   * whole pages; SQLite's `max_page_count`): they reject with `SQLITE_FULL` and write nothing,
   * as on a full disk. Default: no limit but the disk.
   */
  readonly maxBytes?: number;
  /**
   * What to do with records that fail their integrity check. `"refuse"` (default, for servers):
   * `open`/`load` reject with `STORE_CORRUPT` and nothing is touched. A function (for clients
   * that rebuild from a server): the damaged file is kept aside as `<path>.corrupt-<n>` (renamed
   * when it cannot be opened, copied when only rows are bad), the bad rows are dropped, the
   * function is told, and loading goes on with what verified: `load` then returns the records
   * with `damaged` set (after a whole file was kept aside, the first load of each document), so
   * that `loadReplica` and the session rebuild from the server. Nothing damaged is ever deleted.
   */
  readonly onCorrupt?: "refuse" | ((error: SyncError, keptAt: string) => void);
  /**
   * Told once when the store fails for good: its worker thread exited or crashed
   * (`SQLITE_WORKER_DIED`). Pending commits have rejected by then; later calls reject too.
   */
  readonly onFailure?: (error: ConvergeError) => void;
}

/** A {@link Store} that can report that it failed for good. */
export interface SqliteStore extends Store {
  /**
   * Undefined while the store works; once it failed for good (its worker thread died), the error
   * every call now rejects with. A busy, full or corrupt database does not fail the store: those
   * errors reject the calls they hit, and later calls are tried again.
   */
  readonly failure: () => ConvergeError | undefined;
}
