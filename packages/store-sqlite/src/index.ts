/**
 * @converge/store-sqlite — a durable `Store` for `@converge/sync` on Node's built-in `node:sqlite`.
 *
 * One file holds many documents. Every commit is atomic and, with the default
 * `synchronous: "full"`, fsynced before its promise resolves; commits made in the same turn of
 * the event loop share one transaction and one fsync. Rows carry CRC-32 checksums; records that
 * fail them are refused with `STORE_CORRUPT`, or kept aside and dropped when `onCorrupt` says so.
 *
 * @packageDocumentation
 */

export { type SqliteStoreOptions, sqliteStore } from "./sqlite-store.ts";
