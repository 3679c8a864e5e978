// ChangeList: an apply's changes recorded in columns during the merge, built as Change objects on demand.
import type { AnyResolver } from "../key-rules.ts";
import type { PayloadDecoder } from "../payload/decode.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ADD_CONCURRENT, GENERIC, NEW_LONE } from "../register/lone-action.ts";
import { newer } from "../register/newer.ts";
import { readsNewest } from "../register/register-resolver.ts";
import type { Sibling } from "../register/sibling.ts";
import { SiblingColumns } from "../register/sibling-columns.ts";
import type { Change } from "../replicated-map-types.ts";
import type { ReplicaId } from "../version-vector.ts";
import { readOrUndefined } from "./read-state.ts";

const UNREAD: unique symbol = Symbol("unread");

/**
 * The changes of one blocking apply, in payload order. The lone lane records a change as a few
 * numbers — the entry's index, what the lane did, and the key's old lone value copied out of the
 * store's columns — with no object per key; the general path records its `Change` objects as
 * they are. {@link ChangeList.changes} builds the list a listener sees, one object per change:
 * for a register that reads its newest value (lww) the values themselves, taken from the
 * payload's columns and the copied old values; for any other register an object that reads
 * `value` and `previous` from those columns on first access (and then keeps them). The inputs are
 * immutable once recorded, so a late read returns what an eager one would have, whatever the
 * replica did since.
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
  #values: unknown[] | undefined;
  /** The last resolver {@link ChangeList.changes} met, and whether it reads its newest value. */
  #last: AnyResolver | undefined;
  #plain = false;
  #previous: unknown[] | undefined;

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
   * The recorded changes as a listener sees them (a new array each call). A lone change of a
   * `readsNewest` register (lww) is a plain `{ key, value, previous }` taken from the columns
   * (its reads are the values themselves); any other lone change reads on first access.
   */
  changes(): Change[] {
    const n = this.count;
    const out = new Array<Change>(n);
    // One call per change (not one long loop), so V8 compiles the body once for the process.
    for (let c = 0; c < n; c++) out[c] = this.#change(c);
    return out;
  }

  /** Change `c` as a listener sees it. */
  #change(c: number): Change {
    const action = this.#actions[c] as number;
    if (action === GENERIC) return (this.#eager as Change[])[c] as Change;
    const i = this.#entries[c] as number;
    const key = this.#keys[i] as string;
    const resolver = this.#resolverAt(i);
    if (resolver !== this.#last) {
      this.#last = resolver;
      this.#plain = readsNewest(resolver);
    }
    return this.#plain ? this.#newest(key, c, i, action) : new ListedChange(key, this, c);
  }

  /** Change `c` (entry `i`) of a `readsNewest` register, read from the columns. */
  #newest(key: string, c: number, i: number, action: number): Change {
    const incoming = this.#incoming;
    const value = incoming.value[i];
    if (action === NEW_LONE) return { key, value, previous: undefined };
    const old = this.#old as SiblingColumns;
    const previous = old.value[c];
    if (action !== ADD_CONCURRENT) return { key, value, previous };
    const incomingNewer = newer(
      incoming.wall[i] as number,
      incoming.counter[i] as number,
      this.#replicaTable[incoming.replica[i] as number] as ReplicaId,
      old.wall[c] as number,
      old.counter[c] as number,
      this.#store.replicaIds[old.replica[c] as number] as ReplicaId,
    );
    return { key, value: incomingNewer ? value : previous, previous };
  }

  /** What change `c`'s key reads after the apply. */
  valueOf(c: number): unknown {
    this.#values ??= new Array<unknown>(this.count).fill(UNREAD);
    let v = this.#values[c];
    if (v === UNREAD) {
      const i = this.#entries[c] as number;
      const resolver = this.#resolverAt(i);
      const cols = this.#incoming;
      const incoming = cols.sibling(i, this.#replicaTable);
      const merged =
        this.#actions[c] === ADD_CONCURRENT ? resolver.merge(this.#oldAt(c), incoming) : incoming;
      v = readOrUndefined(resolver, merged);
      this.#values[c] = v;
    }
    return v;
  }

  /** What change `c`'s key read before the apply. */
  previousOf(c: number): unknown {
    this.#previous ??= new Array<unknown>(this.count).fill(UNREAD);
    let v = this.#previous[c];
    if (v === UNREAD) {
      v =
        this.#actions[c] === NEW_LONE
          ? undefined
          : readOrUndefined(this.#resolverAt(this.#entries[c] as number), this.#oldAt(c));
      this.#previous[c] = v;
    }
    return v;
  }

  #oldAt(c: number): Sibling {
    return (this.#old as SiblingColumns).sibling(c, this.#store.replicaIds);
  }

  #resolverAt(i: number): AnyResolver {
    return this.#only ?? (this.#resolvers[i] as AnyResolver);
  }
}

/** One lone-lane change of a {@link ChangeList}: its key, and reads on first access. */
class ListedChange implements Change {
  readonly key: string;
  readonly #list: ChangeList;
  readonly #c: number;

  constructor(key: string, list: ChangeList, c: number) {
    this.key = key;
    this.#list = list;
    this.#c = c;
  }

  get value(): unknown {
    return this.#list.valueOf(this.#c);
  }

  get previous(): unknown {
    return this.#list.previousOf(this.#c);
  }

  toJSON(): Change {
    return { key: this.key, value: this.value, previous: this.previous };
  }
}
