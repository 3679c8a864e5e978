import { SyncError } from "./errors.ts";
import type { DocumentStore, OutboxEntry, PeerRecord, Store, StoreBatch, StoredDocument } from "./store.ts";

/**
 * One document's records, small when idle: the log's payloads packed end to end in one buffer
 * (grown by doubling) instead of one buffer each; outbox and peers made on first use.
 */
interface Records {
  snapshot: Uint8Array | undefined;
  /** The log's bytes, `logEnds[i]` the end of entry i; capacity beyond the last end is unused. */
  logBytes: Uint8Array | undefined;
  logEnds: number[] | undefined;
  outbox: OutboxEntry[] | undefined;
  peers: Map<string, PeerRecord> | undefined;
}

const emptyRecords = (): Records => ({
  snapshot: undefined,
  logBytes: undefined,
  logEnds: undefined,
  outbox: undefined,
  peers: undefined,
});

function appendLog(rec: Records, payload: Uint8Array): void {
  const ends = rec.logEnds;
  const used = ends === undefined ? 0 : (ends[ends.length - 1] as number);
  let bytes = rec.logBytes;
  if (bytes === undefined || used + payload.length > bytes.length) {
    const grown = new Uint8Array(Math.max(used + payload.length, (bytes?.length ?? 0) * 2));
    if (bytes !== undefined) grown.set(bytes.subarray(0, used));
    bytes = grown;
  }
  bytes.set(payload, used);
  // A literal of one, not a push onto [] (which reserves room for 17).
  if (ends === undefined) rec.logEnds = [used + payload.length];
  else ends.push(used + payload.length);
  rec.logBytes = bytes;
}

function logOf(rec: Records): Uint8Array[] {
  const bytes = rec.logBytes;
  const ends = rec.logEnds;
  if (bytes === undefined || ends === undefined) return [];
  return ends.map((end, i) => bytes.slice(i === 0 ? 0 : (ends[i - 1] as number), end));
}

const copyPeer = (p: PeerRecord): PeerRecord => ({
  peer: p.peer,
  vector: p.vector.slice(),
  seenAt: p.seenAt,
});

/**
 * A {@link Store} in memory: for tests, for a host that needs no durability, and for a client
 * whose outbox may die with the process. Bytes are copied in and out (a caller may reuse its
 * buffers); each batch applies whole, synchronously inside `commit`. Outlives the documents it
 * opened: reopening a document returns what was committed, so a "restart" of a host or a
 * session built on the same store loads its records back. After `close`, every call rejects with
 * `STORE_CLOSED`.
 */
export function memoryStore(): Store {
  const docs = new Map<string, Records>();
  let closed = false;
  const check = (): void => {
    if (closed) throw new SyncError("STORE_CLOSED", "the store is closed");
  };

  const openDoc = (name: string): DocumentStore => {
    let records = docs.get(name);
    if (records === undefined) {
      records = emptyRecords();
      docs.set(name, records);
    }
    const rec = records;
    let open = true;
    const checkDoc = (): void => {
      check();
      if (!open) throw new SyncError("STORE_CLOSED", `document ${name} is closed`);
    };
    return {
      load: async (): Promise<StoredDocument> => {
        checkDoc();
        return {
          snapshot: rec.snapshot?.slice(),
          log: logOf(rec),
          outbox: (rec.outbox ?? []).map((e) => ({ seq: e.seq, op: e.op.slice() })),
          peers: [...(rec.peers?.values() ?? [])].map(copyPeer),
        };
      },
      commit: async (batch: StoreBatch): Promise<void> => {
        checkDoc();
        if (batch.snapshot !== undefined) {
          rec.snapshot = batch.snapshot.slice();
          rec.logBytes = undefined;
          rec.logEnds = undefined;
        }
        for (const p of batch.append ?? []) appendLog(rec, p);
        for (const e of batch.outboxAdd ?? []) {
          rec.outbox ??= [];
          rec.outbox.push({ seq: e.seq, op: e.op.slice() });
        }
        const acked = batch.outboxAckedUpTo;
        if (acked !== undefined && rec.outbox !== undefined) {
          const left = rec.outbox.filter((e) => e.seq > acked);
          rec.outbox = left.length === 0 ? undefined : left;
        }
        for (const p of batch.peers ?? []) {
          rec.peers ??= new Map();
          rec.peers.set(p.peer, copyPeer(p));
        }
        for (const id of batch.removePeers ?? []) rec.peers?.delete(id);
      },
      close: async () => {
        open = false;
      },
    };
  };

  return {
    open: async (document) => {
      check();
      return openDoc(document);
    },
    documents: async () => {
      check();
      return [...docs.keys()].filter((n) => {
        const r = docs.get(n) as Records;
        return (
          r.snapshot !== undefined ||
          (r.logEnds?.length ?? 0) > 0 ||
          (r.outbox?.length ?? 0) > 0 ||
          (r.peers?.size ?? 0) > 0
        );
      });
    },
    close: async () => {
      closed = true;
    },
  };
}
