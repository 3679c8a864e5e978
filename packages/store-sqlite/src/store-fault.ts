/** The codes an engine fault carries: those of the store's typed errors (`errorFromWire`). */
export type FaultCode =
  | "STORE_CORRUPT"
  | "STORE_CLOSED"
  | "SQLITE_BUSY"
  | "SQLITE_FULL"
  | "SQLITE_FAILED"
  | "SQLITE_WORKER_DIED";

/**
 * A store error as plain data, the form it takes inside the engine and across the worker
 * boundary (structured clone keeps neither classes nor converge's marker); `errorFromWire` turns
 * it into the typed error on the caller's side.
 */
export interface WireError {
  readonly code: FaultCode;
  readonly message: string;
  /** SQLite's extended result code, when SQLite raised it. */
  readonly sqliteCode?: number;
}

/**
 * What the engine throws: a {@link WireError} as an `Error`. Internal — it never reaches a
 * caller; both stores turn it into a `SyncError` or `SqliteStoreError` first. (The engine runs
 * on the worker thread without loading `@converge/sync` or `@converge/hlc`, to start fast.)
 */
export class StoreFault extends Error {
  readonly code: FaultCode;
  readonly sqliteCode: number | undefined;
  constructor(code: FaultCode, message: string, sqliteCode?: number) {
    super(message);
    this.code = code;
    this.sqliteCode = sqliteCode;
  }
}

/**
 * The fault for whatever an engine call threw: faults pass through; `node:sqlite` errors map by
 * SQLite's primary result code (BUSY and LOCKED → `SQLITE_BUSY`, FULL → `SQLITE_FULL`, CORRUPT
 * and NOTADB → `STORE_CORRUPT`); anything else is `SQLITE_FAILED`.
 */
export function faultOf(e: unknown, path: string): WireError {
  if (e instanceof StoreFault) return wire(e);
  const raw = e as { errcode?: unknown; message?: unknown } | null;
  const sqliteCode = typeof raw?.errcode === "number" ? raw.errcode : undefined;
  const message = `${path}: ${typeof raw?.message === "string" ? raw.message : String(e)}`;
  const code: FaultCode = ((): FaultCode => {
    switch ((sqliteCode ?? -1) & 0xff) {
      case 5: // SQLite's BUSY
      case 6: // LOCKED
        return "SQLITE_BUSY";
      case 13: // FULL
        return "SQLITE_FULL";
      case 11: // CORRUPT
      case 26: // NOTADB
        return "STORE_CORRUPT";
      default:
        return "SQLITE_FAILED";
    }
  })();
  return sqliteCode === undefined ? { code, message } : { code, message, sqliteCode };
}

/** The plain form of a fault. */
export function wire(f: StoreFault): WireError {
  return f.sqliteCode === undefined
    ? { code: f.code, message: f.message }
    : { code: f.code, message: f.message, sqliteCode: f.sqliteCode };
}
