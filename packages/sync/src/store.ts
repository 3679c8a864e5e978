import type { ConvergeError } from "@converge/hlc";

/**
 * What a replica keeps between runs, per document: a snapshot (a full state), a log of payloads
 * merged after it, the outbox of its own operations not yet acknowledged by the server, and the
 * version vectors its peers acknowledged (with when they were last seen, for leases).
 *
 * A store adapter is deliberately dumb: it stores bytes and commits batches atomically. The
 * policy — what to append, when to fold the log into a new snapshot, what to resend — lives in
 * the sync package, written once. Adapters (memory, SQLite, IndexedDB) pass the same contract kit,
 * `runStoreTests` from `@converge/sync/testing`.
 */
export interface Store {
  /** Opens one document's records, creating them empty if absent. */
  readonly open: (document: string) => Promise<DocumentStore>;
  /** Names of the documents that have records. */
  readonly documents: () => Promise<readonly string[]>;
  /** Closes the store; documents opened from it are closed too. Idempotent. */
  readonly close: () => Promise<void>;
}

/** One document's records in a {@link Store}. */
export interface DocumentStore {
  /**
   * Everything committed, as of the last commit that resolved. Rejects with a `STORE_CORRUPT`
   * error when the records fail an integrity check (the adapter keeps them aside, never deletes).
   */
  readonly load: () => Promise<StoredDocument>;
  /**
   * Commits one batch atomically: after a crash either all of it is there or none of it. Resolves
   * once the batch is durable (for durable adapters: fsynced). Commits apply in call order;
   * an adapter may write several pending batches with one sync (group commit).
   */
  readonly commit: (batch: StoreBatch) => Promise<void>;
  /** Closes this document's handle; pending commits finish first. Idempotent. */
  readonly close: () => Promise<void>;
}

/** A document's records as loaded. */
export interface StoredDocument {
  /** The last snapshot (a full state payload), or undefined when none was written. */
  readonly snapshot: Uint8Array | undefined;
  /** Payloads (states, deltas, ops) committed after the snapshot, in commit order. */
  readonly log: readonly Uint8Array[];
  /** Unacknowledged local operations in ascending `seq`. */
  readonly outbox: readonly OutboxEntry[];
  /** What each peer acknowledged, one record per peer id. */
  readonly peers: readonly PeerRecord[];
  /**
   * Set when records failed their integrity check and the adapter kept them aside (its
   * `onCorrupt` option) instead of refusing: the other fields hold only the records that passed,
   * so the replica must not trust them as its state (`loadReplica` rebuilds; see SEMANTICS.md).
   */
  readonly damaged?: ConvergeError;
}

/** One commit. Every field is optional; an empty batch is a durable no-op (a barrier). */
export interface StoreBatch {
  /**
   * A new snapshot. It replaces the previous snapshot and every log entry committed before this
   * batch; this batch's `append` comes after it. Adapters write the new snapshot before they
   * remove what it replaces, so a crash in between leaves the old or the new, never neither.
   */
  readonly snapshot?: Uint8Array;
  /** Payloads to add to the end of the log. */
  readonly append?: readonly Uint8Array[];
  /** Local operations to add to the outbox (their `seq` above every entry already there). */
  readonly outboxAdd?: readonly OutboxEntry[];
  /** Removes outbox entries with `seq` ≤ this (the server acknowledged them). */
  readonly outboxAckedUpTo?: number;
  /** Peer records to insert or replace (by `peer`). */
  readonly peers?: readonly PeerRecord[];
  /** Peer ids whose records are removed (e.g. leases that expired). */
  readonly removePeers?: readonly string[];
}

/** A local operation waiting for the server's acknowledgement. */
export interface OutboxEntry {
  /** The highest sequence number of this replica the op payload carries (a batch carries several). */
  readonly seq: number;
  /** The op payload, as `ReplicatedMap.onOp` produced it. */
  readonly op: Uint8Array;
}

/** What a peer acknowledged, and when it was last seen. */
export interface PeerRecord {
  /** The peer's replica id (16 hex digits) or another stable id chosen by the host. */
  readonly peer: string;
  /** Its acknowledged version vector, encoded with `encodeVersionVector`. */
  readonly vector: Uint8Array;
  /** When the peer was last seen, in ms since the epoch (from the host's injected clock). */
  readonly seenAt: number;
}
