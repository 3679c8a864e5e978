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

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** The IndexedDB database name (one per app, many documents inside). */
  readonly name: string;
  /** The IndexedDB factory; default `globalThis.indexedDB` (pass `fake-indexeddb`'s in Node tests). */
  readonly indexedDB?: IDBFactory;
  /**
   * Records that fail their checksum: `"refuse"` (default) rejects `load` with `STORE_CORRUPT`;
   * a function keeps the bad records aside (in the `quarantine` object store), drops them from the
   * document, is told, and loading goes on with what verified: that `load` returns the records
   * with `damaged` set, so that `loadReplica` and the session rebuild from the server. The
   * quarantined records are never deleted.
   */
  readonly onCorrupt?: "refuse" | ((error: SyncError, keptAside: number) => void);
}

const STORES: string[] = ["documents", "snapshots", "log", "outbox", "peers", "quarantine"];
const VERSION = 1;

interface LogRecord {
  readonly doc: string;
  readonly pos: number;
  readonly bytes: Uint8Array;
  readonly crc: number;
}

/**
 * A {@link Store} in IndexedDB: the layout of the SQLite store (per document a snapshot, an append
 * log, the outbox, peer records; every record with a CRC-32), for replicas in browsers.
 *
 * Every `commit` made in one turn of the event loop joins one `readwrite` transaction opened with
 * `durability: "strict"` (the browser flushes to disk before reporting completion), and each
 * promise resolves on that transaction's `complete`: group commit. A group is atomic as a whole
 * (IndexedDB has no savepoints): if the transaction aborts (quota), every batch in it is rejected
 * and none is stored. A snapshot deletes the older log in the same transaction.
 *
 * @example
 * const store = indexedDbStore({ name: "shop-app" });
 * const doc = await store.open("shop");
 * await doc.commit({ outboxAdd: [{ seq, op }] }); // on disk when this resolves
 */
export function indexedDbStore(options: IndexedDbStoreOptions): Store {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  const onCorrupt = options.onCorrupt ?? "refuse";
  let dbPromise: Promise<IDBDatabase> | undefined;
  let closed = false;
  let pending: { doc: string; batch: StoreBatch; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let scheduled: Promise<void> | undefined;
  const inflight = new Set<Promise<void>>();
  /** Per open document, the log position of its next append (one writer per document). */
  const nextPos = new Map<string, number>();

  const closedError = (what: string): SyncError =>
    new SyncError("STORE_CLOSED", `IndexedDB store ${options.name}: ${what}`);

  const database = (): Promise<IDBDatabase> => {
    if (closed) return Promise.reject(closedError("the store is closed"));
    if (factory === undefined) {
      return Promise.reject(new SyncError("STORE_CLOSED", "IndexedDB is not available in this environment"));
    }
    dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open(options.name, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("documents", { keyPath: "name" });
        db.createObjectStore("snapshots", { keyPath: "doc" });
        db.createObjectStore("log", { keyPath: ["doc", "pos"] });
        db.createObjectStore("outbox", { keyPath: ["doc", "seq"] });
        db.createObjectStore("peers", { keyPath: ["doc", "peer"] });
        db.createObjectStore("quarantine", { autoIncrement: true });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () =>
        reject(
          new SyncError("STORE_CORRUPT", `IndexedDB store ${options.name} cannot be opened`, {
            cause: req.error,
          }),
        );
      req.onblocked = () => undefined;
    });
    return dbPromise;
  };

  const flush = async (): Promise<void> => {
    const group = pending;
    pending = [];
    let db: IDBDatabase;
    try {
      db = await database();
    } catch (e) {
      for (const p of group) p.reject(e);
      return;
    }
    const tx = db.transaction(STORES, "readwrite", { durability: "strict" });
    const docs = tx.objectStore("documents");
    const log = tx.objectStore("log");
    for (const { doc, batch } of group) {
      docs.put({ name: doc });
      const next = nextPos.get(doc) ?? 1;
      if (batch.snapshot !== undefined) {
        tx.objectStore("snapshots").put({
          doc,
          bytes: batch.snapshot,
          crc: rowChecksum("snapshot", doc, 0, batch.snapshot),
        });
        if (next > 1) log.delete(IDBKeyRange.bound([doc, 0], [doc, next - 1]));
      }
      let pos = next;
      for (const bytes of batch.append ?? []) {
        log.put({ doc, pos, bytes, crc: rowChecksum("log", doc, pos, bytes) });
        pos++;
      }
      nextPos.set(doc, pos);
      const outbox = tx.objectStore("outbox");
      // Acknowledgements first, then additions (the contract's order within one batch).
      if (batch.outboxAckedUpTo !== undefined)
        outbox.delete(IDBKeyRange.bound([doc, 0], [doc, batch.outboxAckedUpTo]));
      for (const e of batch.outboxAdd ?? [])
        outbox.put({ doc, seq: e.seq, op: e.op, crc: rowChecksum("outbox", doc, e.seq, e.op) });
      const peers = tx.objectStore("peers");
      for (const p of batch.peers ?? []) {
        peers.put({
          doc,
          peer: p.peer,
          vector: p.vector,
          seenAt: p.seenAt,
          crc: rowChecksum("peer", doc, `${p.peer}\u0000${p.seenAt}`, p.vector),
        });
      }
      for (const peer of batch.removePeers ?? []) peers.delete([doc, peer]);
    }
    await new Promise<void>((resolve) => {
      tx.oncomplete = () => {
        for (const p of group) p.resolve();
        resolve();
      };
      const fail = (): void => {
        const error = new SyncError(
          "STORE_CLOSED",
          `IndexedDB store ${options.name}: the commit was aborted`,
          { cause: tx.error },
        );
        for (const p of group) p.reject(error);
        resolve();
      };
      tx.onabort = fail;
      tx.onerror = (ev) => ev.preventDefault();
    });
  };

  const schedule = (): void => {
    if (scheduled !== undefined) return;
    const run = new Promise<void>((resolve) => {
      setTimeout(() => {
        scheduled = undefined;
        flush().finally(resolve);
      }, 0);
    });
    scheduled = run;
    inflight.add(run);
    run.finally(() => inflight.delete(run));
  };

  const load = async (doc: string): Promise<StoredDocument> => {
    const db = await database();
    const tx = db.transaction(["snapshots", "log", "outbox", "peers"], "readonly");
    const [snap, logs, outs, peerRows] = await Promise.all([
      request<{ bytes: Uint8Array; crc: number } | undefined>(tx.objectStore("snapshots").get(doc)),
      request<LogRecord[]>(
        tx.objectStore("log").getAll(IDBKeyRange.bound([doc, 0], [doc, Number.MAX_SAFE_INTEGER])),
      ),
      request<{ seq: number; op: Uint8Array; crc: number }[]>(
        tx.objectStore("outbox").getAll(IDBKeyRange.bound([doc, 0], [doc, Number.MAX_SAFE_INTEGER])),
      ),
      request<{ peer: string; vector: Uint8Array; seenAt: number; crc: number }[]>(
        tx.objectStore("peers").getAll(IDBKeyRange.bound([doc, ""], [doc, "\uffff\uffff"])),
      ),
    ]);
    const bad: { store: string; key: IDBValidKey; record: unknown }[] = [];
    let snapshot: Uint8Array | undefined;
    if (snap !== undefined) {
      if (rowChecksum("snapshot", doc, 0, snap.bytes) === snap.crc) snapshot = new Uint8Array(snap.bytes);
      else bad.push({ store: "snapshots", key: doc, record: snap });
    }
    const log: Uint8Array[] = [];
    for (const r of logs) {
      if (rowChecksum("log", doc, r.pos, r.bytes) === r.crc) log.push(new Uint8Array(r.bytes));
      else bad.push({ store: "log", key: [doc, r.pos], record: r });
    }
    const outbox: OutboxEntry[] = [];
    for (const r of outs) {
      if (rowChecksum("outbox", doc, r.seq, r.op) === r.crc)
        outbox.push({ seq: r.seq, op: new Uint8Array(r.op) });
      else bad.push({ store: "outbox", key: [doc, r.seq], record: r });
    }
    const peers: PeerRecord[] = [];
    for (const r of peerRows) {
      if (rowChecksum("peer", doc, `${r.peer}\u0000${r.seenAt}`, r.vector) === r.crc) {
        peers.push({ peer: r.peer, vector: new Uint8Array(r.vector), seenAt: r.seenAt });
      } else bad.push({ store: "peers", key: [doc, r.peer], record: r });
    }
    if (bad.length === 0) return { snapshot, log, outbox, peers };
    const error = new SyncError(
      "STORE_CORRUPT",
      `IndexedDB store ${options.name}, document ${JSON.stringify(doc)}: checksum mismatch in ${bad.length} record(s) (${[...new Set(bad.map((b) => b.store))].join(", ")})`,
    );
    if (onCorrupt === "refuse") throw error;
    const fix = db.transaction([...new Set(bad.map((b) => b.store)), "quarantine"], "readwrite", {
      durability: "strict",
    });
    for (const b of bad) {
      fix.objectStore("quarantine").add({ store: b.store, record: b.record });
      fix.objectStore(b.store).delete(b.key);
    }
    await done(fix);
    onCorrupt(error, bad.length);
    return { snapshot, log, outbox, peers, damaged: error };
  };

  return {
    open: async (name) => {
      const db = await database();
      if (!nextPos.has(name)) nextPos.set(name, (await lastLogPos(db, name)) + 1);
      let handleClosed = false;
      const check = (): void => {
        if (closed || handleClosed) throw closedError(`document ${JSON.stringify(name)} is closed`);
      };
      const handle: DocumentStore = {
        load: async () => {
          check();
          return load(name);
        },
        commit: (batch) => {
          try {
            check();
          } catch (e) {
            return Promise.reject(e);
          }
          const copy = copyStoreBatch(batch);
          return new Promise<void>((resolve, reject) => {
            pending.push({ doc: name, batch: copy, resolve, reject });
            schedule();
          });
        },
        close: async () => {
          handleClosed = true;
          await Promise.all([...inflight]);
        },
      };
      return handle;
    },
    documents: async () => {
      const db = await database();
      const tx = db.transaction("documents", "readonly");
      return (await request<IDBValidKey[]>(tx.objectStore("documents").getAllKeys())) as string[];
    },
    close: async () => {
      if (closed) return;
      while (inflight.size > 0) await Promise.all([...inflight]);
      closed = true;
      if (dbPromise !== undefined) (await dbPromise.catch(() => undefined))?.close();
    },
  };
}

/** The highest log position stored for `doc` (0 when none). */
async function lastLogPos(db: IDBDatabase, doc: string): Promise<number> {
  const tx = db.transaction("log", "readonly");
  const range = IDBKeyRange.bound([doc, 0], [doc, Number.MAX_SAFE_INTEGER]);
  const cursor = await request<IDBCursor | null>(tx.objectStore("log").openKeyCursor(range, "prev"));
  return cursor === null ? 0 : ((cursor.primaryKey as [string, number])[1] ?? 0);
}

function request<T>(req: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
}
