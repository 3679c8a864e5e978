import { existsSync, renameSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import type { OutboxEntry, PeerRecord } from "@converge/sync";
import { rowCrc } from "./row-crc.ts";
import { SCHEMA, SCHEMA_VERSION } from "./schema.ts";
import { prepareStatements, type Statements, writeBatch } from "./schema-statements.ts";
import { faultOf, StoreFault, type WireError } from "./store-fault.ts";
import type { CommitItem, FileDamage, WireDocument } from "./worker-protocol.ts";

/** What an engine needs to know: the store's options as plain data, and who hears of damage. */
export interface EngineOptions {
  readonly path: string;
  readonly synchronous: "full" | "normal";
  readonly maxBytes: number | undefined;
  /** `"refuse"`, or told (synchronously) of each damaged file or row set it kept aside. */
  readonly onCorrupt: "refuse" | ((error: WireError, keptAt: string) => void);
}

/**
 * The one SQLite connection of a store and everything it runs — schema, group-commit
 * transactions, verified loads, keeping damaged files aside — shared by the main-thread store and
 * the worker thread, so both write the same rows with the same transactions. Synchronous (as
 * `node:sqlite` is); every method throws only {@link StoreFault}s, which each store turns into
 * its typed errors. Imports neither `@converge/sync` nor `@converge/hlc` (values), so that the
 * worker thread starts fast.
 */
export interface SqliteEngine {
  /** The document's id, creating its row when absent (connects on first use). */
  readonly docId: (name: string) => number;
  /** Every committed record of a document, verified; fresh byte arrays the caller may keep. */
  readonly load: (name: string, doc: number) => WireDocument;
  /** Names of the documents, in creation order. */
  readonly names: () => string[];
  /**
   * Commits the items in one transaction (one fsync), each in its own savepoint so that a batch
   * that fails is rolled back alone: returns each item's error, or undefined when it committed.
   * Throws when the transaction as a whole failed (then nothing of any item was written).
   */
  readonly commitGroup: (items: readonly CommitItem[]) => (WireError | undefined)[];
  /** A whole file this engine kept aside, and the documents told of it (for a successor engine). */
  readonly damage: () => FileDamage | undefined;
  /** Takes over another engine's {@link damage}: documents not told yet are told at their first load. */
  readonly inheritDamage: (damage: FileDamage) => void;
  /** Closes the connection; later calls throw `STORE_CLOSED`. */
  readonly close: () => void;
}

/** Opens nothing yet: the connection is made (and the file checked) on the first call. */
export function sqliteEngine(options: EngineOptions): SqliteEngine {
  const { path, onCorrupt } = options;
  let db: DatabaseSync | undefined;
  let st: Statements | undefined;
  let closed = false;
  let asideCount = 0;
  /** A file kept aside whole: the first load of each document after it reports the damage. */
  let fileDamage: WireError | undefined;
  const damageTold = new Set<string>();

  const corrupt = (message: string): StoreFault => new StoreFault("STORE_CORRUPT", `${path}: ${message}`);

  const asidePath = (): string => {
    for (;;) {
      asideCount++;
      const p = `${path}.corrupt-${asideCount}`;
      if (!existsSync(p)) return p;
    }
  };

  const connect = (): DatabaseSync => {
    const handle = new DatabaseSync(path);
    try {
      handle.exec("PRAGMA journal_mode=WAL");
      handle.exec(`PRAGMA synchronous=${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
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
      if (options.maxBytes !== undefined) {
        const page = (handle.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
        handle.exec(`PRAGMA max_page_count=${Math.max(1, Math.floor(options.maxBytes / page))}`);
      }
      return handle;
    } catch (e) {
      handle.close();
      throw e;
    }
  };

  const ensure = (): Statements => {
    if (closed) throw new StoreFault("STORE_CLOSED", `${path}: the store is closed`);
    if (st !== undefined) return st;
    let handle: DatabaseSync;
    try {
      handle = connect();
    } catch (e) {
      const fault = faultOf(e, path);
      // Damage (a malformed file, "file is not a database", a failed check); a busy, full or
      // unreadable file is not damage and is reported as it is, touching nothing.
      if (fault.code !== "STORE_CORRUPT") throw new StoreFault(fault.code, fault.message, fault.sqliteCode);
      const error: WireError =
        e instanceof StoreFault
          ? fault
          : {
              code: "STORE_CORRUPT",
              message: `${path}: cannot be opened as a converge store (${String((e as Error).message)})`,
            };
      if (onCorrupt === "refuse" || path === ":memory:") throw new StoreFault(error.code, error.message);
      const keptAt = asidePath();
      renameSync(path, keptAt);
      for (const suffix of ["-wal", "-shm"]) {
        if (existsSync(path + suffix)) renameSync(path + suffix, keptAt + suffix);
      }
      onCorrupt(error, keptAt);
      fileDamage = error;
      handle = connect();
    }
    db = handle;
    st = prepareStatements(handle);
    return st;
  };

  const load = (name: string, doc: number): WireDocument => {
    const s = ensure();
    const bad: string[] = [];
    const snapRow = s.snapshot.get(doc) as { bytes: Uint8Array; crc: number } | undefined;
    let snapshot: Uint8Array | undefined;
    if (snapRow !== undefined) {
      if (rowCrc("snapshot", doc, 0, snapRow.bytes) === snapRow.crc) snapshot = snapRow.bytes;
      else bad.push("the snapshot");
    }
    const log: Uint8Array[] = [];
    const badLog: number[] = [];
    for (const r of s.log.all(doc) as { pos: number; bytes: Uint8Array; crc: number }[]) {
      if (rowCrc("log", doc, r.pos, r.bytes) === r.crc) log.push(r.bytes);
      else badLog.push(r.pos);
    }
    if (badLog.length > 0) bad.push(`log entries ${badLog.join(", ")}`);
    const outbox: OutboxEntry[] = [];
    const badOutbox: number[] = [];
    for (const r of s.outbox.all(doc) as { seq: number; op: Uint8Array; crc: number }[]) {
      if (rowCrc("outbox", doc, r.seq, r.op) === r.crc) outbox.push({ seq: r.seq, op: r.op });
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
      if (rowCrc("peer", doc, `${r.peer}\u0000${r.seen_at}`, r.vector) === r.crc) {
        peers.push({ peer: r.peer, vector: r.vector, seenAt: r.seen_at });
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
    const damage: WireError = { code: error.code, message: error.message };
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
    onCorrupt(damage, keptAt);
    return { snapshot, log, outbox, peers, damaged: damage };
  };

  const commitGroup = (items: readonly CommitItem[]): (WireError | undefined)[] => {
    const s = ensure();
    const handle = db as DatabaseSync;
    const failed: (WireError | undefined)[] = items.map(() => undefined);
    // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back, not
    // only the savepoint: then the group starts over without the batches that failed so far.
    // Each pass either commits or finds one more failed batch, so it ends.
    try {
      attempt: for (;;) {
        handle.exec("BEGIN IMMEDIATE");
        for (const [i, item] of items.entries()) {
          if (failed[i] !== undefined) continue;
          s.savepoint.run();
          try {
            writeBatch(s, item.doc, item.batch);
            s.release.run();
          } catch (e) {
            failed[i] = faultOf(e, path);
            if (!handle.isTransaction) continue attempt;
            s.rollbackTo.run();
            s.release.run();
          }
        }
        handle.exec("COMMIT");
        return failed;
      }
    } catch (e) {
      try {
        if (handle.isTransaction) handle.exec("ROLLBACK");
      } catch {
        // The connection is gone; the caller rejects every batch of the group.
      }
      throw e;
    }
  };

  /** Runs `f`, throwing only faults. */
  const typed =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (e) {
        const fault = faultOf(e, path);
        throw new StoreFault(fault.code, fault.message, fault.sqliteCode);
      }
    };

  return {
    docId: typed((name: string): number => {
      const s = ensure();
      const row = s.docId.get(name) as { id: number } | undefined;
      if (row !== undefined) return row.id;
      return Number((s.addDoc.run(name) as { lastInsertRowid: number | bigint }).lastInsertRowid);
    }),
    load: typed(load),
    names: typed((): string[] => (ensure().names.all() as { name: string }[]).map((r) => r.name)),
    commitGroup: typed(commitGroup),
    damage: () => (fileDamage === undefined ? undefined : { error: fileDamage, told: [...damageTold] }),
    inheritDamage: (d) => {
      fileDamage = d.error;
      for (const name of d.told) damageTold.add(name);
    },
    close: () => {
      closed = true;
      db?.close();
      db = undefined;
      st = undefined;
    },
  };
}
