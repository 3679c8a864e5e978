/**
 * @converge/store-indexeddb — a durable `Store` for `@converge/sync` in browsers, on IndexedDB.
 *
 * The layout of `@converge/store-sqlite` (per document a snapshot, an append log, the outbox and
 * peer records, each record checksummed), committed in `durability: "strict"` transactions, with
 * the commits of one event-loop turn grouped into one transaction. One writer per document: two
 * tabs that keep the same document in one database must share it through one tab (e.g. over
 * `@converge/broadcast-channel`), not write it both.
 *
 * @packageDocumentation
 */

export { type IndexedDbStoreOptions, indexedDbStore } from "./indexeddb-store.ts";
