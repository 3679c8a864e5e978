/**
 * @converge/store-sqlite — a durable `Store` for `@converge/sync` on Node's built-in `node:sqlite`.
 *
 * One file holds many documents. Every commit is atomic and, with the default
 * `synchronous: "full"`, fsynced before its promise resolves; commits share transactions and
 * fsyncs (group commit). The connection lives on a worker thread by default, so commits never
 * block the caller's event loop. Rows carry CRC-32 checksums; records that fail them are refused
 * with `STORE_CORRUPT`, or kept aside and dropped when `onCorrupt` says so.
 *
 * @packageDocumentation
 */

export { sqliteStore } from "./sqlite-store.ts";
export { SqliteStoreError, type SqliteStoreErrorCode } from "./sqlite-store-error.ts";
export type { SqliteStore, SqliteStoreOptions } from "./sqlite-store-options.ts";
