import { ConvergeError, isConvergeError } from "@converge/hlc";
import { SyncError } from "@converge/sync";

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
 * its batch was written (the transaction rolled back). The same codes come from the worker
 * thread and from the main-thread connection; recognise them with `isConvergeError(e, code)`.
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

/** An error as it crosses from the worker thread: its code, message and SQLite result code. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly sqliteCode?: number;
}

const SYNC_CODES: ReadonlySet<string> = new Set(["STORE_CORRUPT", "STORE_CLOSED"]);

/**
 * The typed error of the store for whatever a SQLite call threw: converge errors pass through;
 * `node:sqlite` errors map by SQLite's primary result code (BUSY/LOCKED, FULL, CORRUPT/NOTADB
 * become `SQLITE_BUSY`, `SQLITE_FULL`, `STORE_CORRUPT`); anything else is `SQLITE_FAILED`.
 */
export function toStoreError(e: unknown, path: string): ConvergeError {
  if (isConvergeError(e)) return e;
  const raw = e as { errcode?: unknown; message?: unknown } | null;
  const sqliteCode = typeof raw?.errcode === "number" ? raw.errcode : undefined;
  const message = `${path}: ${typeof raw?.message === "string" ? raw.message : String(e)}`;
  switch ((sqliteCode ?? -1) & 0xff) {
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
      return new SqliteStoreError("SQLITE_BUSY", message, { cause: e, sqliteCode });
    case 13: // SQLITE_FULL
      return new SqliteStoreError("SQLITE_FULL", message, { cause: e, sqliteCode });
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
      return new SyncError("STORE_CORRUPT", message, { cause: e });
    default:
      return new SqliteStoreError("SQLITE_FAILED", message, { cause: e, sqliteCode });
  }
}

/** The wire form of a store error (structured clone keeps neither classes nor the marker). */
export function errorToWire(e: ConvergeError): WireError {
  const sqliteCode = (e as { sqliteCode?: unknown }).sqliteCode;
  return typeof sqliteCode === "number"
    ? { code: e.code, message: e.message, sqliteCode }
    : { code: e.code, message: e.message };
}

/** The typed error again, on the main thread, with the same code and message. */
export function errorFromWire(w: WireError): ConvergeError {
  if (SYNC_CODES.has(w.code)) return new SyncError(w.code as "STORE_CORRUPT" | "STORE_CLOSED", w.message);
  const code = (["SQLITE_BUSY", "SQLITE_FULL", "SQLITE_WORKER_DIED"] as const).find((c) => c === w.code);
  return new SqliteStoreError(code ?? "SQLITE_FAILED", w.message, { sqliteCode: w.sqliteCode });
}
