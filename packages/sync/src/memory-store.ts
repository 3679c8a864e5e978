import { fromByteString as bytes, toByteString as text } from "./_internals/byte-string.ts";
import { SyncError } from "./errors.ts";
import type { DocumentStore, Store, StoreBatch, StoredDocument } from "./store.ts";

/** A document's records, their bytes kept as byte strings (see byte-string.ts): copies, compact. */
interface Records {
  snapshot: string | undefined;
  log: string[];
  outbox: { readonly seq: number; readonly op: string }[];
  peers: Map<string, { readonly peer: string; readonly vector: string; readonly seenAt: number }>;
}

/**
 * A {@link Store} in memory: for tests, for a host that needs no durability, and for a client
 * whose outbox may die with the process. Bytes are copied in and out (a caller may reuse its
 * buffers; inside, each record is one compact string); each batch applies whole, synchronously
 * inside `commit`. Outlives the documents it opened: reopening a document returns what was
 * committed, so a "restart" of a host or a session built on the same store loads its records
 * back. After `close`, every call rejects with `STORE_CLOSED`.
 */
export function memoryStore(): Store {
  const docs = new Map<string, Records>();
  let closed = false;
  /** Throws unless the store is open, and the document `name` when given (one function per store). */
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
          snapshot: rec.snapshot === undefined ? undefined : bytes(rec.snapshot),
          log: rec.log.map(bytes),
          // Copies of its own records (their fields, the bytes made anew).
          outbox: rec.outbox.map((e) => ({ ...e, op: bytes(e.op) })),
          peers: [...rec.peers.values()].map((p) => ({ ...p, vector: bytes(p.vector) })),
        };
      },
      commit: async (batch: StoreBatch): Promise<void> => {
        check(open, name);
        if (batch.snapshot !== undefined) {
          rec.snapshot = text(batch.snapshot);
          rec.log = [];
        }
        const appended = (batch.append ?? []).map(text);
        // A log's first records make an array of their own size (a host's idle document keeps
        // one); later ones are pushed (amortised O(1), where a copy per commit would be O(log)).
        if (rec.log.length === 0) rec.log = appended;
        else for (const p of appended) rec.log.push(p);
        for (const e of batch.outboxAdd ?? []) rec.outbox.push({ seq: e.seq, op: text(e.op) });
        const acked = batch.outboxAckedUpTo;
        if (acked !== undefined) rec.outbox = rec.outbox.filter((e) => e.seq > acked);
        for (const p of batch.peers ?? [])
          rec.peers.set(p.peer, { peer: p.peer, vector: text(p.vector), seenAt: p.seenAt });
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
