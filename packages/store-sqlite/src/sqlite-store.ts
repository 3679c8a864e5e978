import { existsSync, renameSync } from "node:fs";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  copyStoreBatch,
  type DocumentStore,
  type OutboxEntry,
  type PeerRecord,
  rowChecksum,
  type Store,
  type StoreBatch,
  type StoredDocument,
  SyncError,
} from "@converge/sync";

import { SCHEMA, SCHEMA_VERSION } from "./schema.ts";

/** Options of {@link sqliteStore}. */
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
   * What to do with records that fail their integrity check. `"refuse"` (default, for servers):
   * `open`/`load` reject with `STORE_CORRUPT` and nothing is touched. A function (for clients
   * that rebuild from a server): the damaged file is kept aside as `<path>.corrupt-<n>` (renamed
   * when it cannot be opened, copied when only rows are bad), the bad rows are dropped, the
   * function is told, and loading goes on with what verified: `load` then returns the records
   * with `damaged` set (after a whole file was kept aside, the first load of each document), so
   * that `loadReplica` and the session rebuild from the server. Nothing damaged is ever deleted.
   */
  readonly onCorrupt?: "refuse" | ((error: SyncError, keptAt: string) => void);
}

interface Pending {
  readonly doc: number;
  readonly batch: StoreBatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Statements {
  readonly docId: StatementSync;
  readonly addDoc: StatementSync;
  readonly names: StatementSync;
  readonly snapshot: StatementSync;
  readonly log: StatementSync;
  readonly outbox: StatementSync;
  readonly peers: StatementSync;
  readonly putSnapshot: StatementSync;
  readonly clearLog: StatementSync;
  readonly lastPos: StatementSync;
  readonly addLog: StatementSync;
  readonly addOutbox: StatementSync;
  readonly ackOutbox: StatementSync;
  readonly putPeer: StatementSync;
  readonly removePeer: StatementSync;
  /** Each batch of a group commit runs in its own savepoint (prepared once: exec re-parses). */
  readonly savepoint: StatementSync;
  readonly release: StatementSync;
  readonly rollbackTo: StatementSync;
}

/**
 * A {@link Store} in one SQLite file on Node's built-in `node:sqlite`: WAL journal, one snapshot
 * plus an append log per document, the outbox and peer records, every row checksummed.
 *
 * Commits are grouped: every `commit` called before the event loop turns joins one transaction
 * and one fsync (group commit), each batch inside its own savepoint, so a batch that fails is
 * rolled back alone. A promise resolves only after the transaction holding its batch committed.
 * A snapshot replaces the previous snapshot and the log inside the same transaction, so a crash
 * leaves the old records or the new, never neither.
 *
 * @example
 * const store = sqliteStore({ path: "data/shop.db" });
 * const doc = await store.open("shop");
 * await doc.commit({ append: [payload] }); // durable when this resolves
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  const synchronous = options.synchronous ?? "full";
  const onCorrupt = options.onCorrupt ?? "refuse";
  let db: DatabaseSync | undefined;
  let st: Statements | undefined;
  let closed = false;
  let pending: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let asideCount = 0;
  /** A file kept aside whole: the first load of each document after it reports the damage. */
  let fileDamage: SyncError | undefined;
  const damageTold = new Set<string>();

  const corrupt = (message: string, cause?: unknown): SyncError =>
    new SyncError(
      "STORE_CORRUPT",
      `${options.path}: ${message}`,
      cause === undefined ? undefined : { cause },
    );

  const asidePath = (): string => {
    for (;;) {
      asideCount++;
      const p = `${options.path}.corrupt-${asideCount}`;
      if (!existsSync(p)) return p;
    }
  };

  const connect = (): DatabaseSync => {
    const handle = new DatabaseSync(options.path);
    try {
      handle.exec("PRAGMA journal_mode=WAL");
      handle.exec(`PRAGMA synchronous=${synchronous === "full" ? "FULL" : "NORMAL"}`);
      const check = handle.prepare("PRAGMA quick_check").all() as { quick_check?: string }[];
      if (check.length !== 1 || check[0]?.quick_check !== "ok") {
        throw corrupt(`integrity check failed: ${check.map((r) => r.quick_check).join("; ")}`);
      }
      const version = (handle.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      if (version === 0) {
        handle.exec(SCHEMA);
        handle.exec(`PRAGMA user_version=${SCHEMA_VERSION}`);
      } else if (version !== SCHEMA_VERSION) {
        throw corrupt(`written with store schema ${version}; this version reads schema ${SCHEMA_VERSION}`);
      }
      return handle;
    } catch (e) {
      handle.close();
      throw e;
    }
  };

  const ensure = (): Statements => {
    if (closed) throw new SyncError("STORE_CLOSED", `${options.path}: the store is closed`);
    if (st !== undefined) return st;
    let handle: DatabaseSync;
    try {
      handle = connect();
    } catch (e) {
      const error = isCorrupt(e) ? (e as SyncError) : corrupt("cannot be opened as a converge store", e);
      if (onCorrupt === "refuse" || options.path === ":memory:") throw error;
      const keptAt = asidePath();
      renameSync(options.path, keptAt);
      for (const suffix of ["-wal", "-shm"]) {
        if (existsSync(options.path + suffix)) renameSync(options.path + suffix, keptAt + suffix);
      }
      onCorrupt(error, keptAt);
      fileDamage = error;
      handle = connect();
    }
    db = handle;
    st = prepare(handle);
    return st;
  };

  const flush = (): void => {
    const group = pending;
    pending = [];
    const statements = st;
    const handle = db;
    if (statements === undefined || handle === undefined) {
      for (const p of group) p.reject(new SyncError("STORE_CLOSED", `${options.path}: the store is closed`));
      return;
    }
    const failed = new Map<Pending, unknown>();
    try {
      handle.exec("BEGIN IMMEDIATE");
      for (const p of group) {
        statements.savepoint.run();
        try {
          applyBatch(statements, p.doc, p.batch);
          statements.release.run();
        } catch (e) {
          statements.rollbackTo.run();
          statements.release.run();
          failed.set(p, e);
        }
      }
      handle.exec("COMMIT");
    } catch (e) {
      try {
        if (handle.isTransaction) handle.exec("ROLLBACK");
      } catch {
        // The connection is gone; every batch of the group is rejected below.
      }
      for (const p of group) p.reject(e);
      return;
    }
    for (const p of group) {
      const e = failed.get(p);
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

  const docIdOf = (name: string): number => {
    const s = ensure();
    const row = s.docId.get(name) as { id: number } | undefined;
    if (row !== undefined) return row.id;
    return Number((s.addDoc.run(name) as { lastInsertRowid: number | bigint }).lastInsertRowid);
  };

  const load = (name: string, doc: number): StoredDocument => {
    const s = ensure();
    const bad: string[] = [];
    const snapRow = s.snapshot.get(doc) as { bytes: Uint8Array; crc: number } | undefined;
    let snapshot: Uint8Array | undefined;
    if (snapRow !== undefined) {
      if (rowChecksum("snapshot", doc, 0, snapRow.bytes) === snapRow.crc) snapshot = copy(snapRow.bytes);
      else bad.push("the snapshot");
    }
    const log: Uint8Array[] = [];
    const badLog: number[] = [];
    for (const r of s.log.all(doc) as { pos: number; bytes: Uint8Array; crc: number }[]) {
      if (rowChecksum("log", doc, r.pos, r.bytes) === r.crc) log.push(copy(r.bytes));
      else badLog.push(r.pos);
    }
    if (badLog.length > 0) bad.push(`log entries ${badLog.join(", ")}`);
    const outbox: OutboxEntry[] = [];
    const badOutbox: number[] = [];
    for (const r of s.outbox.all(doc) as { seq: number; op: Uint8Array; crc: number }[]) {
      if (rowChecksum("outbox", doc, r.seq, r.op) === r.crc) outbox.push({ seq: r.seq, op: copy(r.op) });
      else badOutbox.push(r.seq);
    }
    if (badOutbox.length > 0) bad.push(`outbox entries ${badOutbox.join(", ")}`);
    const peers: PeerRecord[] = [];
    const badPeers: string[] = [];
    for (const r of s.peers.all(doc) as {
      peer: string;
      vector: Uint8Array;
      seen_at: number;
      crc: number;
    }[]) {
      if (rowChecksum("peer", doc, `${r.peer}\u0000${r.seen_at}`, r.vector) === r.crc) {
        peers.push({ peer: r.peer, vector: copy(r.vector), seenAt: r.seen_at });
      } else badPeers.push(r.peer);
    }
    if (badPeers.length > 0) bad.push(`peer records ${badPeers.map((p) => JSON.stringify(p)).join(", ")}`);
    if (bad.length === 0) {
      if (fileDamage === undefined || damageTold.has(name)) return { snapshot, log, outbox, peers };
      damageTold.add(name);
      return { snapshot, log, outbox, peers, damaged: fileDamage };
    }

    const error = corrupt(`document ${JSON.stringify(name)}: checksum mismatch in ${bad.join("; ")}`);
    if (onCorrupt === "refuse" || db === undefined) throw error;
    const keptAt = asidePath();
    db.exec(`VACUUM INTO '${keptAt.replaceAll("'", "''")}'`);
    db.exec("BEGIN IMMEDIATE");
    try {
      if (snapRow !== undefined && snapshot === undefined)
        db.prepare("DELETE FROM snapshots WHERE doc = ?").run(doc);
      const delLog = db.prepare("DELETE FROM log WHERE doc = ? AND pos = ?");
      for (const pos of badLog) delLog.run(doc, pos);
      const delOutbox = db.prepare("DELETE FROM outbox WHERE doc = ? AND seq = ?");
      for (const seq of badOutbox) delOutbox.run(doc, seq);
      for (const peer of badPeers) s.removePeer.run(doc, peer);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    onCorrupt(error, keptAt);
    return { snapshot, log, outbox, peers, damaged: error };
  };

  const open = async (name: string): Promise<DocumentStore> => {
    const doc = docIdOf(name);
    let handleClosed = false;
    const check = (): void => {
      if (closed || handleClosed) {
        throw new SyncError("STORE_CLOSED", `${options.path}: document ${JSON.stringify(name)} is closed`);
      }
    };
    return {
      load: async () => {
        check();
        return load(name, doc);
      },
      commit: (batch) => {
        try {
          check();
          ensure();
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
    documents: async () => {
      const s = ensure();
      return (s.names.all() as { name: string }[]).map((r) => r.name);
    },
    close: async () => {
      if (closed) return;
      while (flushing !== undefined) await flushing;
      closed = true;
      db?.close();
      db = undefined;
      st = undefined;
    },
  };
}

function prepare(db: DatabaseSync): Statements {
  return {
    docId: db.prepare("SELECT id FROM documents WHERE name = ?"),
    addDoc: db.prepare("INSERT INTO documents (name) VALUES (?)"),
    names: db.prepare("SELECT name FROM documents ORDER BY id"),
    snapshot: db.prepare("SELECT bytes, crc FROM snapshots WHERE doc = ?"),
    log: db.prepare("SELECT pos, bytes, crc FROM log WHERE doc = ? ORDER BY pos"),
    outbox: db.prepare("SELECT seq, op, crc FROM outbox WHERE doc = ? ORDER BY seq"),
    peers: db.prepare("SELECT peer, vector, seen_at, crc FROM peers WHERE doc = ? ORDER BY peer"),
    putSnapshot: db.prepare("INSERT OR REPLACE INTO snapshots (doc, bytes, crc) VALUES (?, ?, ?)"),
    clearLog: db.prepare("DELETE FROM log WHERE doc = ?"),
    lastPos: db.prepare("SELECT max(pos) AS pos FROM log WHERE doc = ?"),
    addLog: db.prepare("INSERT INTO log (doc, pos, bytes, crc) VALUES (?, ?, ?, ?)"),
    addOutbox: db.prepare("INSERT OR REPLACE INTO outbox (doc, seq, op, crc) VALUES (?, ?, ?, ?)"),
    ackOutbox: db.prepare("DELETE FROM outbox WHERE doc = ? AND seq <= ?"),
    putPeer: db.prepare(
      "INSERT OR REPLACE INTO peers (doc, peer, vector, seen_at, crc) VALUES (?, ?, ?, ?, ?)",
    ),
    removePeer: db.prepare("DELETE FROM peers WHERE doc = ? AND peer = ?"),
    savepoint: db.prepare("SAVEPOINT batch"),
    release: db.prepare("RELEASE batch"),
    rollbackTo: db.prepare("ROLLBACK TO batch"),
  };
}

function applyBatch(s: Statements, doc: number, batch: StoreBatch): void {
  if (batch.snapshot !== undefined) {
    s.putSnapshot.run(doc, batch.snapshot, rowChecksum("snapshot", doc, 0, batch.snapshot));
    s.clearLog.run(doc);
  }
  if (batch.append !== undefined && batch.append.length > 0) {
    let pos = Number((s.lastPos.get(doc) as { pos: number | null }).pos ?? 0);
    for (const bytes of batch.append) {
      pos++;
      s.addLog.run(doc, pos, bytes, rowChecksum("log", doc, pos, bytes));
    }
  }
  // Acknowledgements first, then additions (the contract's order within one batch).
  if (batch.outboxAckedUpTo !== undefined) s.ackOutbox.run(doc, batch.outboxAckedUpTo);
  for (const e of batch.outboxAdd ?? [])
    s.addOutbox.run(doc, e.seq, e.op, rowChecksum("outbox", doc, e.seq, e.op));
  for (const p of batch.peers ?? []) {
    s.putPeer.run(
      doc,
      p.peer,
      p.vector,
      p.seenAt,
      rowChecksum("peer", doc, `${p.peer}\u0000${p.seenAt}`, p.vector),
    );
  }
  for (const peer of batch.removePeers ?? []) s.removePeer.run(doc, peer);
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function isCorrupt(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "STORE_CORRUPT";
}
