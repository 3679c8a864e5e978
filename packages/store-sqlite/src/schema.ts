/** Schema version stored in `PRAGMA user_version`; a file written by another version is refused. */
export const SCHEMA_VERSION = 1;

/**
 * One row per document name; a snapshot (at most one per document), the log of payloads committed
 * after it, the outbox and the peer records, each row with a CRC-32 over its identity and bytes.
 */
export const SCHEMA: string = `
CREATE TABLE IF NOT EXISTS documents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS snapshots (doc INTEGER PRIMARY KEY, bytes BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log (doc INTEGER NOT NULL, pos INTEGER NOT NULL, bytes BLOB NOT NULL, crc INTEGER NOT NULL, PRIMARY KEY (doc, pos)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (doc INTEGER NOT NULL, seq INTEGER NOT NULL, op BLOB NOT NULL, crc INTEGER NOT NULL, PRIMARY KEY (doc, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peers (doc INTEGER NOT NULL, peer TEXT NOT NULL, vector BLOB NOT NULL, seen_at INTEGER NOT NULL, crc INTEGER NOT NULL, PRIMARY KEY (doc, peer)) WITHOUT ROWID;
`;
