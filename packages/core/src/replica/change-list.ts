// ChangeList: an apply's changes recorded in columns during the merge, built into Change objects on demand.
import type { AnyResolver } from "../key-rules.ts";
import type { PayloadDecoder } from "../payload/decode.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ADD_CONCURRENT, GENERIC, NEW_LONE } from "../register/lone-action.ts";
import { newer } from "../register/newer.ts";
import { readsNewest } from "../register/register-resolver.ts";
import { SiblingColumns } from "../register/sibling-columns.ts";
import type { Change } from "../replicated-map-types.ts";
import type { ReplicaId } from "../version-vector.ts";
import { readOrUndefined } from "./read-state.ts";

/**
 * The changes of one blocking apply, in payload order. The lone lane records a change as a few
 * numbers — the entry's index, what the lane did, and the key's old lone value copied out of the
 * store's columns — with no object per key; the general path records its `Change` objects as
 * they are. {@link ChangeList.changes} builds the list a listener sees — when it first reads
 * `event.changes` — from the payload's columns and the copied old values. Those inputs are
 * immutable once recorded, so a list built late holds what one built at once would have,
 * whatever the replica did since.
 */
export class ChangeList {
  /** Number of changes recorded. */
  count = 0;
  readonly #keys: readonly string[];
  readonly #incoming: SiblingColumns;
  readonly #replicaTable: readonly ReplicaId[];
  readonly #only: AnyResolver | undefined;
  readonly #resolvers: readonly AnyResolver[];
  readonly #store: KeyStore;
  /** Per change: its entry index in the payload. */
  readonly #entries: Int32Array;
  /** Per change: the lone lane's action (NEW_LONE, REPLACE_LONE, ADD_CONCURRENT), or GENERIC. */
  readonly #actions: Uint8Array;
  /** Per lone change that met a stored value: that value (replica numbered by the store); allocated on first use. */
  #old: SiblingColumns | undefined;
  /** Per general change: its Change object; allocated on first use. */
  #eager: Change[] | undefined;
  /** The last resolver {@link ChangeList.changes} met, and whether it reads its newest value. */
  #last: AnyResolver | undefined;
  #plain = false;

  /** For an apply of `decoder`'s payload (at most `decoder.total` changes) into `store`. */
  constructor(decoder: PayloadDecoder, store: KeyStore) {
    const n = decoder.total;
    this.#keys = decoder.keys;
    this.#incoming = decoder.lone;
    this.#replicaTable = decoder.replicaTable;
    this.#only = decoder.onlyResolver;
    this.#resolvers = decoder.entryResolvers;
    this.#store = store;
    this.#entries = new Int32Array(n);
    this.#actions = new Uint8Array(n);
  }

  /**
   * Records the lone lane's `action` on entry `i`, before it is committed: `slot` is the key's
   * slot (-1 when new), whose lone value is copied now, while it is still there.
   */
  lone(i: number, action: number, slot: number): void {
    const c = this.count++;
    this.#entries[c] = i;
    this.#actions[c] = action;
    if (action !== NEW_LONE) {
      this.#old ??= new SiblingColumns(this.#entries.length);
      this.#store.copyLone(slot, this.#old, c);
    }
  }

  /** Records a change of the general path on entry `i`. */
  general(i: number, change: Change): void {
    const c = this.count++;
    this.#entries[c] = i;
    this.#actions[c] = GENERIC;
    this.#eager ??= [];
    this.#eager[c] = change;
  }

  /**
   * The recorded changes as a listener sees them (a new array each call), plain
   * `{ key, value, previous }` objects: a `readsNewest` register's (lww) straight from the columns
   * (its reads are the values themselves), any other's read through its resolver.
   */
  changes(): Change[] {
    const n = this.count;
    const out = new Array<Change>(n);
    // One call per change (not one long loop), so V8 compiles the body once and keeps it compiled.
    for (let c = 0; c < n; c++) out[c] = this.#change(c);
    return out;
  }

  /** The recorded changes' keys, in the same order (a new array each call). */
  keys(): string[] {
    const out = new Array<string>(this.count);
    for (let c = 0; c < out.length; c++) out[c] = this.#keys[this.#entries[c] as number] as string;
    return out;
  }

  /** Change `c` as a listener sees it. */
  #change(c: number): Change {
    const action = this.#actions[c] as number;
    if (action === GENERIC) return (this.#eager as Change[])[c] as Change;
    const i = this.#entries[c] as number;
    const key = this.#keys[i] as string;
    const resolver = this.#only ?? (this.#resolvers[i] as AnyResolver);
    if (resolver !== this.#last) {
      this.#last = resolver;
      this.#plain = readsNewest(resolver);
    }
    const incoming = this.#incoming;
    const old = this.#old as SiblingColumns;
    const replicas = this.#store.replicaIds;
    if (this.#plain) {
      // A readsNewest register (lww) reads its newest value: straight from the columns.
      const value = incoming.value[i];
      if (action === NEW_LONE) return { key, value, previous: undefined };
      const previous = old.value[c];
      const incomingNewer =
        action !== ADD_CONCURRENT ||
        newer(
          incoming.wall[i] as number,
          incoming.counter[i] as number,
          this.#replicaTable[incoming.replica[i] as number] as ReplicaId,
          old.wall[c] as number,
          old.counter[c] as number,
          replicas[old.replica[c] as number] as ReplicaId,
        );
      return { key, value: incomingNewer ? value : previous, previous };
    }
    const next = incoming.sibling(i, this.#replicaTable);
    if (action === NEW_LONE) return { key, value: readOrUndefined(resolver, next), previous: undefined };
    const before = old.sibling(c, replicas);
    const merged = action === ADD_CONCURRENT ? resolver.merge(before, next) : next;
    return { key, value: readOrUndefined(resolver, merged), previous: readOrUndefined(resolver, before) };
  }
}
