import { ConvergeError, type ConvergeErrorCode } from "@converge/hlc";
import { SyncError } from "@converge/sync";
import type { WireError } from "./store-fault.ts";

/** Codes of the SQLite store's own errors (docs/ERRORS.md). */
export type SqliteStoreErrorCode = "SQLITE_BUSY" | "SQLITE_FULL" | "SQLITE_FAILED" | "SQLITE_WORKER_DIED";

/**
 * A SQLite store failure that is not about the records' integrity (that is `STORE_CORRUPT`) or a
 * closed store (`STORE_CLOSED`), both `SyncError`s as every store raises them:
 * - `SQLITE_BUSY`: another connection held the database lock (SQLite's BUSY or LOCKED);
 * - `SQLITE_FULL`: the disk, or the store's `maxBytes`, is full;
 * - `SQLITE_FAILED`: any other SQLite or I/O error (read-only file, I/O error, cannot open);
 * - `SQLITE_WORKER_DIED`: the worker thread that owns the connection exited or crashed; the store
 *   is failed and every later call rejects with this code.
 *
 * A commit that rejects with any of them is not acknowledged: with the first three, nothing of
 * its batch was written (its savepoint or transaction rolled back). The same codes come from the
 * worker thread and from the main-thread connection; recognise them with
 * `isConvergeError(e, code)`, never `instanceof`.
 */
export class SqliteStoreError extends ConvergeError {
  override readonly code: SqliteStoreErrorCode;
  /** SQLite's extended result code, when SQLite raised the error (e.g. 5 for BUSY, 13 for FULL). */
  readonly sqliteCode: number | undefined;
  constructor(
    code: SqliteStoreErrorCode,
    message: string,
    options?: { readonly cause?: unknown; readonly sqliteCode?: number | undefined },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.sqliteCode = options?.sqliteCode;
  }
}

// Every SqliteStoreErrorCode joins the registry of converge codes (docs/ERRORS.md).
declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<SqliteStoreErrorCode, SqliteStoreError> {}
}

/** The typed error of a fault (from the engine, on either thread): same code, same message. */
export function errorFromWire(w: WireError): ConvergeError & { readonly code: ConvergeErrorCode } {
  if (w.code === "STORE_CORRUPT" || w.code === "STORE_CLOSED") return new SyncError(w.code, w.message);
  return new SqliteStoreError(w.code, w.message, { sqliteCode: w.sqliteCode });
}
