import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { StoreBatch } from "@converge/sync";
import { rowCrc } from "./row-crc.ts";

/** The prepared statements of one connection (see `SCHEMA`). */
export interface Statements {
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

/** Prepares every statement the store runs on `db`. */
export function prepareStatements(db: DatabaseSync): Statements {
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

/**
 * Writes one batch inside the caller's transaction: the new snapshot first and then the removal
 * of the log it replaces, appends after it, outbox acknowledgements before additions (the
 * contract's order within one batch), peer upserts before removals. Every row gets its CRC-32.
 */
export function writeBatch(s: Statements, doc: number, batch: StoreBatch): void {
  if (batch.snapshot !== undefined) {
    s.putSnapshot.run(doc, batch.snapshot, rowCrc("snapshot", doc, 0, batch.snapshot));
    s.clearLog.run(doc);
  }
  if (batch.append !== undefined && batch.append.length > 0) {
    let pos = Number((s.lastPos.get(doc) as { pos: number | null }).pos ?? 0);
    for (const bytes of batch.append) {
      pos++;
      s.addLog.run(doc, pos, bytes, rowCrc("log", doc, pos, bytes));
    }
  }
  if (batch.outboxAckedUpTo !== undefined) s.ackOutbox.run(doc, batch.outboxAckedUpTo);
  for (const e of batch.outboxAdd ?? [])
    s.addOutbox.run(doc, e.seq, e.op, rowCrc("outbox", doc, e.seq, e.op));
  for (const p of batch.peers ?? []) {
    s.putPeer.run(
      doc,
      p.peer,
      p.vector,
      p.seenAt,
      rowCrc("peer", doc, `${p.peer}\u0000${p.seenAt}`, p.vector),
    );
  }
  for (const peer of batch.removePeers ?? []) s.removePeer.run(doc, peer);
}
