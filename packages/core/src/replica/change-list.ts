// ChangeList: an apply's changes recorded as entry numbers and old values, built into Change objects on demand.
import type { AnyResolver } from "../key-rules.ts";
import type { PayloadDecoder } from "../payload/decode.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ADD_CONCURRENT, GENERIC } from "../register/lone-action.ts";
import { readsNewest } from "../register/register-resolver.ts";
import type { SiblingColumns } from "../register/sibling-columns.ts";
import type { Change } from "../replicated-map-types.ts";
import type { ReplicaId } from "../version-vector.ts";
import { readOrUndefined } from "./read-state.ts";

/**
 * The changes of one blocking apply, in payload order. The lone lane records a change as the
 * entry's index, what the lane did, and what the key held before: for a `readsNewest` register
 * (lww) its value — and, when the incoming value joined it as a concurrent one, the value the key
 * reads after — else the old state. The general path records its `Change` objects as they are.
 * {@link ChangeList.changes} builds the list a listener sees — when it first reads
 * `event.changes` — from those and the payload's columns. They are immutable once recorded, so a
 * list built late holds what one built at once would have, whatever the replica did since.
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
  /** Per lone change: what the key held before (a value or a state, see above); per general change: its Change. */
  readonly #before: unknown[];
  /** Per lone change of a `readsNewest` register that added a concurrent value: the value read after. */
  #after: unknown[] | undefined;
  /** The last resolver {@link ChangeList.#plain} met, and whether it reads its newest value. */
  #last: AnyResolver | undefined;
  #lastPlain = false;

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
    this.#before = new Array(n);
  }

  /** The resolver of entry `i`, and whether it reads its newest value (lww). */
  #plain(i: number): boolean {
    const resolver = this.#only ?? (this.#resolvers[i] as AnyResolver);
    if (resolver !== this.#last) {
      this.#last = resolver;
      this.#lastPlain = readsNewest(resolver);
    }
    return this.#lastPlain;
  }

  /**
   * What the key of entry `i` in `slot` (a lone packed value; -1: none) holds before the lone lane
   * commits: for {@link ChangeList.lone}.
   */
  old(i: number, slot: number): unknown {
    if (slot < 0) return undefined;
    return this.#plain(i) ? this.#store.newestValue(slot) : this.#store.stateAt(slot);
  }

  /** Records the lone lane's `action` on entry `i` once committed in `slot`; `old` from {@link ChangeList.old}. */
  lone(i: number, action: number, slot: number, old: unknown): void {
    const c = this.count++;
    this.#entries[c] = i;
    this.#actions[c] = action;
    this.#before[c] = old;
    if (action === ADD_CONCURRENT && this.#plain(i)) {
      this.#after ??= new Array(this.#before.length);
      this.#after[c] = this.#store.newestValue(slot);
    }
  }

  /** Records a change of the general path on entry `i`. */
  general(i: number, change: Change): void {
    const c = this.count++;
    this.#entries[c] = i;
    this.#actions[c] = GENERIC;
    this.#before[c] = change;
  }

  /**
   * The recorded changes as a listener sees them (a new array each call), plain
   * `{ key, value, previous }` objects: a `readsNewest` register's (lww) straight from what was
   * recorded and the payload's columns, any other's read through its resolver.
   */
  changes(): Change[] {
    const n = this.count;
    const out = new Array<Change>(n);
    // One call per change (not one long loop), so V8 compiles the body once and keeps it compiled.
    for (let c = 0; c < n; c++) out[c] = this.#change(c);
    return out;
  }

  /** Change `c` as a listener sees it. */
  #change(c: number): Change {
    const action = this.#actions[c] as number;
    const previous = this.#before[c];
    if (action === GENERIC) return previous as Change;
    const i = this.#entries[c] as number;
    const key = this.#keys[i] as string;
    const incoming = this.#incoming;
    if (this.#plain(i)) {
      const value = action === ADD_CONCURRENT ? (this.#after as unknown[])[c] : incoming.value[i];
      return { key, value, previous };
    }
    const resolver = this.#last as AnyResolver;
    const next = incoming.sibling(i, this.#replicaTable);
    const merged = action === ADD_CONCURRENT ? resolver.merge(previous, next) : next;
    return { key, value: readOrUndefined(resolver, merged), previous: readOrUndefined(resolver, previous) };
  }
}
