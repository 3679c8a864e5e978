import { createReplicatedMap, type ReplicatedMap, type ReplicatedMapOptions } from "@converge/core";
import { type ConvergeError, isConvergeError } from "@converge/hlc";
import { NOOP } from "./_internals/noop.ts";
import type { DocumentStore, OutboxEntry, PeerRecord, StoreBatch, StoredDocument } from "./store.ts";

/** Options of the store policy. */
export interface StorePolicyOptions {
  /**
   * Fold the log into a new snapshot once the bytes appended since the last snapshot pass this
   * (default 1 MiB). The snapshot is the replica's full state, written in the same batch that
   * replaces the log, so a crash leaves the old records or the new, never neither.
   */
  readonly compactBytes?: number | undefined;
}

/** Hooks a host gives its keepers (leases ride along with commits; compaction before a fold). */
export interface KeeperHooks {
  /** Peer records changed since the last call; they join whatever batch commits next. */
  readonly pendingPeers?: () => readonly PeerRecord[];
  /**
   * Called when a batch folds the log into a snapshot, before the snapshot is encoded: compacts
   * the replica and returns peer records to write and remove in that same batch.
   */
  readonly beforeSnapshot?: () => {
    readonly peers: readonly PeerRecord[];
    readonly removePeers: readonly string[];
  };
}

/**
 * How one replica keeps its records in a {@link DocumentStore} — written once, used by clients
 * and hosts alike:
 * - every payload merged into the replica (remote payloads, and local ops) is appended to the log;
 * - a local op is also added to the outbox in the same batch, and dropped from it once the server
 *   acknowledged it (`ackUpTo`);
 * - when the log passes `compactBytes`, the next batch writes a snapshot (the replica's full state
 *   at commit time, which includes everything queued) instead of the appends;
 * - changes queued in one turn of the event loop share one commit (group commit); commits happen
 *   in order, and `flush` resolves once everything queued before it is committed;
 * - after a batch failed to commit, the next one writes a snapshot (the replica holds what the
 *   failed batch did), and `flush` resolves only once such a snapshot committed: nothing merged
 *   counts as committed while it is in memory only.
 */
export interface DocumentKeeper {
  /** Queues a merged payload for the log. */
  readonly append: (payload: Uint8Array) => Promise<void>;
  /** Queues a local op: appended to the log and added to the outbox. */
  readonly addLocal: (entry: OutboxEntry) => Promise<void>;
  /** Queues the removal of outbox entries with `seq` ≤ `seq`. */
  readonly ackUpTo: (seq: number) => Promise<void>;
  /** Queues a peer record. */
  readonly setPeer: (record: PeerRecord) => Promise<void>;
  /**
   * Queues a snapshot of the replica's state as it is at commit time, replacing the log (a client
   * after a reset or a rebuild: its records are rewritten to match its new state; the outbox stays).
   */
  readonly rewrite: () => Promise<void>;
  /** Resolves once everything queued so far is committed. */
  readonly flush: () => Promise<void>;
}

interface Pending {
  append: Uint8Array[];
  outboxAdd: OutboxEntry[];
  ackedUpTo: number | undefined;
  peers: Map<string, PeerRecord>;
  bytes: number;
  rewrite: boolean;
  done: Promise<void>;
}

/** Builds the {@link DocumentKeeper} of `map` over `store`; `logBytes` counts what the loaded log held. */
export function documentKeeper(
  store: DocumentStore,
  map: () => ReplicatedMap,
  options: StorePolicyOptions & KeeperHooks & { readonly logBytes?: number } = {},
): DocumentKeeper {
  const source: MapSource = {
    get map() {
      return map();
    },
  };
  const k = new Keeper(store, source, options, options.compactBytes, options.logBytes);
  // Functions of its own, so a caller may take them apart from the keeper.
  return {
    append: (payload) => k.append(payload),
    addLocal: (entry) => k.addLocal(entry),
    ackUpTo: (seq) => k.ackUpTo(seq),
    setPeer: (record) => k.setPeer(record),
    rewrite: () => k.rewrite(),
    flush: () => k.flush(),
  };
}

/** What a {@link Keeper} reads its replica from, when a fold needs the state. */
export interface MapSource {
  readonly map: ReplicatedMap;
}

/** A settled promise: where a chain starts (a keeper's, and a host's document's and connection's). */
export const SETTLED: Promise<void> = Promise.resolve();
const NO_HOOKS: KeeperHooks = {};

/**
 * @internal The {@link DocumentKeeper} as a class, its functions on one shared prototype: a host
 * keeps one per document (`documentKeeper` wraps it in functions of its own for everyone else).
 * `hooks` are called as its methods.
 */
export class Keeper implements DocumentKeeper {
  readonly #store: DocumentStore;
  /** Where the replica is read at a fold (a host's document: its replica may sleep meanwhile). */
  readonly #source: MapSource;
  readonly #hooks: KeeperHooks;
  readonly #compactBytes: number;
  #logBytes: number;
  #pending: Pending | undefined;
  #chain: Promise<void> = SETTLED;
  /** A commit failed: what it held is in memory only, until a whole snapshot commits. */
  #lost = false;

  constructor(
    store: DocumentStore,
    source: MapSource,
    hooks: KeeperHooks = NO_HOOKS,
    compactBytes?: number,
    logBytes?: number,
  ) {
    this.#store = store;
    this.#source = source;
    this.#hooks = hooks;
    this.#compactBytes = compactBytes ?? 1024 * 1024;
    this.#logBytes = logBytes ?? 0;
  }

  async #commit(p: Pending): Promise<void> {
    if (this.#pending === p) this.#pending = undefined;
    this.#logBytes += p.bytes;
    const batch: { -readonly [K in keyof StoreBatch]: StoreBatch[K] } = {};
    for (const r of this.#hooks.pendingPeers?.() ?? []) if (!p.peers.has(r.peer)) p.peers.set(r.peer, r);
    if (this.#logBytes > this.#compactBytes || p.rewrite || this.#lost) {
      const extra = this.#hooks.beforeSnapshot?.();
      if (extra !== undefined) {
        for (const r of extra.peers) p.peers.set(r.peer, r);
        if (extra.removePeers.length > 0) batch.removePeers = extra.removePeers;
      }
      // The state includes every payload queued so far: it replaces the log and these appends.
      batch.snapshot = this.#source.map.encodeState();
      this.#logBytes = 0;
    } else if (p.append.length > 0) batch.append = p.append;
    if (p.outboxAdd.length > 0) batch.outboxAdd = p.outboxAdd;
    if (p.ackedUpTo !== undefined) batch.outboxAckedUpTo = p.ackedUpTo;
    if (p.peers.size > 0) batch.peers = [...p.peers.values()];
    try {
      await this.#store.commit(batch);
    } catch (e) {
      this.#lost = true;
      throw e;
    }
    // A batch committed while one was lost held a snapshot: everything is durable again.
    this.#lost = false;
  }

  #queue(): Pending {
    if (this.#pending !== undefined) return this.#pending;
    const p: Pending = {
      append: [],
      outboxAdd: [],
      ackedUpTo: undefined,
      peers: new Map(),
      bytes: 0,
      rewrite: false,
      done: SETTLED,
    };
    this.#pending = p;
    // Waits one microtask so that everything queued in this turn joins the batch.
    p.done = this.#chain.then(() => Promise.resolve()).then(() => this.#commit(p));
    this.#chain = p.done.catch(NOOP);
    return p;
  }

  append(payload: Uint8Array): Promise<void> {
    const p = this.#queue();
    p.append.push(payload);
    p.bytes += payload.length;
    return p.done;
  }

  addLocal(entry: OutboxEntry): Promise<void> {
    const p = this.#queue();
    p.append.push(entry.op);
    p.outboxAdd.push(entry);
    p.bytes += entry.op.length;
    return p.done;
  }

  ackUpTo(seq: number): Promise<void> {
    const p = this.#queue();
    p.ackedUpTo = Math.max(p.ackedUpTo ?? 0, seq);
    // An ack can drop an entry queued in this same batch before it reached the store.
    p.outboxAdd = p.outboxAdd.filter((e) => e.seq > seq);
    return p.done;
  }

  setPeer(record: PeerRecord): Promise<void> {
    const p = this.#queue();
    p.peers.set(record.peer, record);
    return p.done;
  }

  rewrite(): Promise<void> {
    const p = this.#queue();
    p.rewrite = true;
    return p.done;
  }

  flush(): Promise<void> {
    // After a failed commit, what is merged is durable only once a whole snapshot commits.
    return this.#pending?.done ?? (this.#lost ? this.rewrite() : this.#chain);
  }
}

/** What {@link loadReplica} rebuilt. */
export interface LoadedReplica {
  readonly map: ReplicatedMap;
  /** Unacknowledged local operations, ascending by `seq`. */
  readonly outbox: readonly OutboxEntry[];
  readonly peers: readonly PeerRecord[];
  /** Bytes of the log after the snapshot (what the next compaction counts from). */
  readonly logBytes: number;
  /**
   * Set when the records were damaged (`StoredDocument.damaged`): `map` is then a fresh replica with a new id holding only the readable outbox's
   * operations, and `outbox` lists those entries (they belong to the old id). Pass the whole
   * result to `connect` (`loaded`): the session reports the damage and rebuilds from the server.
   */
  readonly damaged?: ConvergeError;
}

/**
 * Rebuilds a replica from its records: the snapshot, then every log entry in commit order (the
 * log holds what was merged, so each delta's base precedes it), then the outbox ops (already in
 * the log; applying them again is a no-op, kept for logs folded away). The result is merged in a
 * scratch replica and handed to the real one as its initial `state`, so that the replica continues
 * after the highest sequence number of its own that the records hold (a map only skips past its
 * own operations found in its initial state). Core refuses damaged payloads with its typed errors.
 *
 * Damaged records (see {@link LoadedReplica.damaged}) are not trusted as state: the replica is
 * rebuilt with a fresh id (a new clock from `clockOptions` without its `node`; a given `clock` is
 * not reused), because the damaged records may have lost operations of the old id that the server
 * holds, and reusing their sequence numbers would make new writes look like duplicates.
 */
export function loadReplica(stored: StoredDocument, options: ReplicatedMapOptions): LoadedReplica {
  const damaged = stored.damaged;
  if (damaged === undefined) return rebuild(stored, options);
  const { node: _old, ...clockOptions } = options.clockOptions ?? {};
  const map = createReplicatedMap({
    resolvers: options.resolvers,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    clockOptions,
  });
  const outbox: OutboxEntry[] = [];
  for (const entry of stored.outbox) {
    try {
      map.apply(entry.op);
      outbox.push(entry);
    } catch (e) {
      if (!isConvergeError(e)) throw e; // an unreadable op is left with the damaged records
    }
  }
  return { map, outbox, peers: stored.peers, logBytes: 0, damaged };
}

function rebuild(stored: StoredDocument, options: ReplicatedMapOptions): LoadedReplica {
  let state = stored.snapshot;
  let logBytes = 0;
  if (stored.log.length > 0 || stored.outbox.length > 0) {
    const scratch = createReplicatedMap({
      resolvers: options.resolvers,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(state === undefined ? {} : { state }),
    });
    for (const payload of stored.log) {
      scratch.apply(payload);
      logBytes += payload.length;
    }
    for (const entry of stored.outbox) scratch.apply(entry.op);
    state = scratch.encodeState();
  }
  const map = createReplicatedMap(state === undefined ? options : { ...options, state });
  return { map, outbox: stored.outbox, peers: stored.peers, logBytes };
}
