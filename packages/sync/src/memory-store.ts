import { SyncError } from "./errors.ts";
import type { DocumentStore, OutboxEntry, PeerRecord, Store, StoreBatch, StoredDocument } from "./store.ts";

interface Records {
  snapshot: Uint8Array | undefined;
  log: Uint8Array[];
  outbox: OutboxEntry[];
  peers: Map<string, PeerRecord>;
}

const copyEntry = (e: OutboxEntry): OutboxEntry => ({ seq: e.seq, op: e.op.slice() });

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
  /** Throws unless the store is open, and the document `name` is when given (a function per store, not per document). */
  const check = (open = true, name = ""): void => {
    if (closed) throw new SyncError("STORE_CLOSED", "the store is closed");
    if (!open) throw new SyncError("STORE_CLOSED", `document ${name} is closed`);
  };

  const openDoc = (name: string): DocumentStore => {
    const rec: Records = docs.get(name) ?? { snapshot: undefined, log: [], outbox: [], peers: new Map() };
    docs.set(name, rec);
    let open = true;
    return {
      load: async (): Promise<StoredDocument> => {
        check(open, name);
        return {
          snapshot: rec.snapshot?.slice(),
          log: rec.log.map((b) => b.slice()),
          outbox: rec.outbox.map(copyEntry),
          peers: [...rec.peers.values()].map(copyPeer),
        };
      },
      commit: async (batch: StoreBatch): Promise<void> => {
        check(open, name);
        if (batch.snapshot !== undefined) {
          rec.snapshot = batch.snapshot.slice();
          rec.log = [];
        }
        // A new array each time, of the log's own size (a host's idle document keeps one record).
        if (batch.append !== undefined) rec.log = rec.log.concat(batch.append.map((p) => p.slice()));
        for (const e of batch.outboxAdd ?? []) rec.outbox.push(copyEntry(e));
        const acked = batch.outboxAckedUpTo;
        if (acked !== undefined) rec.outbox = rec.outbox.filter((e) => e.seq > acked);
        for (const p of batch.peers ?? []) rec.peers.set(p.peer, copyPeer(p));
        for (const id of batch.removePeers ?? []) rec.peers.delete(id);
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
        return r.snapshot !== undefined || r.log.length > 0 || r.outbox.length > 0 || r.peers.size > 0;
      });
    },
    close: async () => {
      closed = true;
    },
  };
}
