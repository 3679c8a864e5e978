// ChangeIndex: which keys hold which operations (for deltas), kept right on every commit.
import type { CausalContext } from "../causal-context.ts";
import { ChangeLog } from "../change-log.ts";
import type { AnyResolver } from "../key-rules.ts";
import type { KeyStore } from "../register/key-store.ts";
import type { ReplicaId, VersionVector } from "../version-vector.ts";

/**
 * The change log and how commits feed it. A commit records the operations a key's new state holds
 * that its old state did not ({@link ChangeIndex.recordDiff}), or, for a state an apply merged in,
 * the incoming operations this replica had not seen ({@link ChangeIndex.recordUnseen}). Entries
 * superseded by a later operation of the same replica on the same key stay until they outnumber
 * the live ones; then the log is rebuilt from the store ({@link ChangeIndex.rebuildIfDue}).
 *
 * The visitors handed to `Resolver.versions` are fields, and what they compare against lives in
 * the fields below them, set by the method that starts the walk.
 */
export class ChangeIndex {
  readonly #log = new ChangeLog();
  readonly #context: CausalContext;
  #rebuildDue = false;

  // The walk in progress: the key's slot, and (recordDiff) the old state's versions, flat
  // [replica, seq, …], with a forward pointer into them.
  #slot = -1;
  readonly #oldVersions: (ReplicaId | number)[] = [];
  #pos = 0;
  // recordUnseen: the key's previous state and resolver (its versions are collected into
  // #oldVersions when first needed).
  #previous: unknown;
  #resolver: AnyResolver | undefined;

  constructor(context: CausalContext) {
    this.#context = context;
  }

  /** Keys of `store` that may hold an operation not included in `since` (each at most once). */
  keysAfter(since: VersionVector, store: KeyStore): Set<string> {
    return this.#log.keysAfter(since, (slot) => store.keyAt(slot));
  }

  /** Records the operations `next` holds beyond `old` (undefined: a new key) for the key in `slot`. */
  recordDiff(slot: number, resolver: AnyResolver, old: unknown, next: unknown): void {
    this.#slot = slot;
    this.#oldVersions.length = 0;
    this.#pos = 0;
    if (old !== undefined) resolver.versions(old, this.#collectOld);
    resolver.versions(next, this.#logNew);
  }

  /**
   * Records the operations of `incoming` (a state an apply merged into the key in `slot`, whose state was
   * `previous`) that this replica has not seen: every other operation of the merged state was
   * recorded when it first arrived (a state's operations are always in the context that came with
   * it), which costs nothing like diffing the old and new states (16 replicas' counter records).
   */
  recordUnseen(slot: number, resolver: AnyResolver, previous: unknown, incoming: unknown): void {
    this.#slot = slot;
    this.#previous = previous;
    this.#resolver = resolver;
    this.#oldVersions.length = 0;
    this.#pos = -1;
    resolver.versions(incoming, this.#logUnseen);
    this.#previous = undefined;
    this.#resolver = undefined;
  }

  /**
   * Records operation (`replica`, `seq`) for the key in `slot` from the lone lane; `replaced` when it replaced
   * an earlier operation of the same replica on the key (whose entry it supersedes).
   */
  recordLone(replica: ReplicaId, seq: number, slot: number, replaced: boolean): void {
    if (replaced && this.#log.superseded()) this.#rebuildDue = true;
    this.#log.record(replica, seq, slot);
  }

  /** Rebuilds the log from the store when superseded entries have come to outnumber live ones. */
  rebuildIfDue(store: KeyStore, resolverFor: (key: string) => AnyResolver): void {
    if (this.#rebuildDue) this.rebuild(store, resolverFor);
  }

  /** Rebuilds the log from the states in `store`. */
  rebuild(store: KeyStore, resolverFor: (key: string) => AnyResolver): void {
    this.#log.clear();
    for (const [key, slot] of store.slots()) {
      this.#slot = slot;
      this.#oldVersions.length = 0;
      this.#pos = 0;
      resolverFor(key).versions(store.stateAt(slot), this.#logNew);
    }
    this.#rebuildDue = false;
  }

  readonly #collectOld = (r: ReplicaId, s: number): void => {
    this.#oldVersions.push(r, s);
  };

  // Both visits go in increasing replica order (a Resolver.versions law), so one forward pointer
  // pairs them up in linear time.
  readonly #logNew = (r: ReplicaId, s: number): void => {
    const old = this.#oldVersions;
    let pos = this.#pos;
    while (pos < old.length && (old[pos] as ReplicaId) < r) pos += 2;
    this.#pos = pos;
    const before = old[pos] === r ? (old[pos + 1] as number) : 0;
    if (s > before) {
      this.#log.record(r, s, this.#slot);
      if (before > 0 && this.#log.superseded()) this.#rebuildDue = true;
    }
  };

  readonly #logUnseen = (r: ReplicaId, s: number): void => {
    const context = this.#context;
    if (context.has(r, s)) return;
    this.#log.record(r, s, this.#slot);
    // The key's previous state may hold an earlier operation of r, whose entry this one supersedes.
    if (this.#previous === undefined || !context.knows(r)) return;
    // Both states' versions come in increasing replica order: the previous one's are collected
    // once and walked forward (asking each replica alone cost a walk of them per replica).
    const old = this.#oldVersions;
    if (this.#pos < 0) {
      this.#pos = 0;
      this.#resolver?.versions(this.#previous, this.#collectOld);
    }
    let pos = this.#pos;
    while (pos < old.length && (old[pos] as ReplicaId) < r) pos += 2;
    this.#pos = pos;
    if (old[pos] === r && this.#log.superseded()) this.#rebuildDue = true;
  };
}
