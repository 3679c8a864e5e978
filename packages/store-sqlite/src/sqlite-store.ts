import { mainThreadSqliteStore } from "./main-thread-store.ts";
import type { SqliteStore, SqliteStoreOptions } from "./sqlite-store-options.ts";
import { workerSqliteStore } from "./worker-store.ts";

/**
 * A `Store` in one SQLite file on Node's built-in `node:sqlite`: WAL journal, one snapshot
 * plus an append log per document, the outbox and peer records, every row checksummed.
 *
 * Commits are grouped: many batches share one transaction and one fsync (group commit), each
 * batch inside its own savepoint, so a batch that fails is rolled back alone. A promise resolves
 * only after the transaction holding its batch committed (with `synchronous: "full"`, fsynced):
 * that is what a server's acknowledgement waits for. Batches commit in call order. A snapshot
 * replaces the previous snapshot and the log inside the same transaction, so a crash leaves the
 * old records or the new, never neither. By default the connection runs on a worker thread
 * (`thread`), so commits do not block the caller's event loop.
 *
 * Errors are typed: `STORE_CORRUPT` and `STORE_CLOSED` (`SyncError`), `SQLITE_BUSY`,
 * `SQLITE_FULL`, `SQLITE_FAILED` and `SQLITE_WORKER_DIED` (`SqliteStoreError`), the same from
 * either thread; a rejected commit wrote nothing it can vouch for.
 *
 * @example
 * const store = sqliteStore({ path: "data/shop.db" });
 * const doc = await store.open("shop");
 * await doc.commit({ append: [payload] }); // durable when this resolves
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  return (options.thread ?? "worker") === "worker"
    ? workerSqliteStore(options)
    : mainThreadSqliteStore(options);
}
