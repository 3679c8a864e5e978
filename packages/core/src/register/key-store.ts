// KeyStore: key → slot, with lone register values and concurrent pairs packed in typed columns.
import { KeyMatcher } from "../key-matcher.ts";
import type { ReplicaId } from "../version-vector.ts";
import { ADD_CONCURRENT, GENERIC, type LoneAction, REPLACE_LONE, UNCHANGED } from "./lone-action.ts";
import { Sibling, Siblings } from "./sibling.ts";
import { SiblingColumns } from "./sibling-columns.ts";

/** {@link KeyStore.newestValue}: the slot holds a state object. */
export const NOT_PACKED: unique symbol = Symbol("not packed");

/** Marks a slot whose state is an object in the value column rather than a packed sibling. */
const OBJECT = 0xffffffff;
/** Marks a packed slot without a second sibling. */
const NONE = 0xffffffff;
const MAX_PACKED_SEQ = 0xffffffff;

/**
 * Where a replicated map keeps its states: a hash index from key to slot, and columns. The common
 * state — a register holding one value and nothing else (a lone {@link Sibling}) — is packed into
 * the columns (replica, seq, wall, counter, value) instead of being kept as an object, which
 * roughly halves the memory per key; two concurrent values with nothing else seen (the state a
 * merge of two concurrent writes leaves) go into a second set of columns, allocated when first
 * needed. Any other state is stored as an object. Packed states are rebuilt as fresh immutable
 * objects on read, so callers never see the difference — and merges leave no long-lived garbage.
 */
export class KeyStore {
  readonly #index = new Map<string, number>();
  /** A slot's lone value or the first of a pair; replica OBJECT: the value column holds a state object. */
  readonly #first = new SiblingColumns(1024);
  /** The second value of a packed pair (replica NONE: no pair), allocated on the first pair. */
  #second: SiblingColumns | undefined;
  readonly #keys: (string | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #replicas: ReplicaId[] = [];
  readonly #replicaIndex = new Map<ReplicaId, number>();
  #last = "";
  #inOrder = true;
  /** Keys sorted, when slots are not in order; rebuilt after a key is added or removed. */
  #sorted: { readonly keys: readonly string[]; readonly slots: Int32Array } | undefined;

  /** Number of stored keys (present or tombstoned). */
  get size(): number {
    return this.#index.size;
  }

  /**
   * When keys sit in slots in sorted order (every key inserted in increasing order into a fresh slot), a matcher that finds the
   * stored key equal to a sorted sequence of UTF-8 keys by comparing bytes, so an apply can reuse
   * the stored string and slot instead of building a new string and hashing it.
   */
  matcher(): KeyMatcher | undefined {
    return this.#inOrder ? new KeyMatcher(this.#keys) : undefined;
  }

  /** The slot of `key`, or -1. */
  slotOf(key: string): number {
    return this.#index.get(key) ?? -1;
  }

  /** The state in `slot` (a fresh object for a packed sibling or pair). */
  stateAt(slot: number): unknown {
    const first = this.#first;
    if (first.replica[slot] === OBJECT) return first.value[slot];
    const a = first.sibling(slot, this.#replicas);
    const second = this.#second;
    if (second === undefined || second.replica[slot] === NONE) return a;
    return new Siblings([a, second.sibling(slot, this.#replicas)], undefined);
  }

  // Last id numbered ("" matches no replica id), kept a string so the check stays monomorphic.
  #lastId: ReplicaId = "";
  #lastNumber = 0;

  #replicaNumber(id: ReplicaId): number {
    if (id === this.#lastId) return this.#lastNumber;
    let r = this.#replicaIndex.get(id);
    if (r === undefined) {
      r = this.#replicas.length;
      this.#replicas.push(id);
      this.#replicaIndex.set(id, r);
    }
    this.#lastId = id;
    this.#lastNumber = r;
    return r;
  }

  #pairs(): SiblingColumns {
    this.#second ??= new SiblingColumns(this.#first.capacity, NONE);
    return this.#second;
  }

  /** The state of `key`, or undefined. */
  get(key: string): unknown {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.stateAt(slot);
  }

  /**
   * Stores `state` for `key` in `slot` (-1: a new key); returns the slot used. `pairs` allows
   * packing two concurrent values (not for resolvers that cache reads per state object).
   */
  put(key: string, slot: number, state: unknown, pairs = true): number {
    const s = slot < 0 ? this.#allocate(key) : slot;
    if (state instanceof Sibling && state.seq <= MAX_PACKED_SEQ) {
      this.#writeFirst(s, state.replica, state.seq, state.wall, state.counter, state.value);
      this.#clearSecond(s);
    } else if (
      pairs &&
      state instanceof Siblings &&
      state.explicit === undefined &&
      state.siblings.length === 2 &&
      (state.siblings[0] as Sibling).seq <= MAX_PACKED_SEQ &&
      (state.siblings[1] as Sibling).seq <= MAX_PACKED_SEQ
    ) {
      const [a, b] = state.siblings as [Sibling, Sibling];
      this.#writeFirst(s, a.replica, a.seq, a.wall, a.counter, a.value);
      this.#pairs().write(s, this.#replicaNumber(b.replica), b.seq, b.wall, b.counter, b.value);
    } else {
      this.#first.replica[s] = OBJECT;
      this.#first.value[s] = state;
      this.#clearSecond(s);
    }
    return s;
  }

  /** A slot for a new key, indexed; tracks whether slots stay in sorted key order. */
  #allocate(key: string): number {
    const reused = this.#free.pop();
    const s = reused ?? this.#keys.length;
    if (s >= this.#first.capacity) {
      const capacity = this.#first.capacity * 2;
      this.#first.grow(capacity);
      this.#second?.grow(capacity);
    }
    if (reused === undefined) this.#keys.push(key);
    else {
      this.#keys[s] = key;
      this.#inOrder = false;
    }
    this.#index.set(key, s);
    this.#sorted = undefined;
    if (this.#inOrder) {
      if (this.#index.size > 1 && !(key > this.#last)) this.#inOrder = false;
      this.#last = key;
    }
    return s;
  }

  #writeFirst(
    s: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    this.#first.write(s, this.#replicaNumber(replica), seq, wall, counter, value);
  }

  #clearSecond(s: number): void {
    const second = this.#second;
    if (second === undefined) return;
    second.replica[s] = NONE;
    second.value[s] = undefined;
  }

  /**
   * How a lone value from `replica` with sequence `seq` merges into `slot`, when the slot holds a
   * lone packed value too: {@link REPLACE_LONE}, {@link ADD_CONCURRENT} or {@link UNCHANGED}; else
   * {@link GENERIC} (merge the state objects).
   */
  loneAction(slot: number, replica: ReplicaId, seq: number): LoneAction {
    const first = this.#first;
    const r = first.replica[slot] as number;
    if (r === OBJECT || (this.#second !== undefined && this.#second.replica[slot] !== NONE)) return GENERIC;
    if (replica !== this.#replicas[r]) return ADD_CONCURRENT;
    return seq > (first.seq[slot] as number) ? REPLACE_LONE : UNCHANGED;
  }

  /**
   * The value of the newest write (HLC time, node id breaking ties) held packed in `slot`, or
   * {@link NOT_PACKED} when the slot holds a state object: lets a resolver that reads the newest
   * value (lww) answer reads from the columns with no state objects.
   */
  newestValue(slot: number): unknown {
    const first = this.#first;
    const r = first.replica[slot] as number;
    if (r === OBJECT) return NOT_PACKED;
    const second = this.#second;
    if (second === undefined || second.replica[slot] === NONE) return first.value[slot];
    const wa = first.wall[slot] as number;
    const wb = second.wall[slot] as number;
    if (wa !== wb) return wa > wb ? first.value[slot] : second.value[slot];
    const ca = first.counter[slot] as number;
    const cb = second.counter[slot] as number;
    if (ca !== cb) return ca > cb ? first.value[slot] : second.value[slot];
    const ra = this.#replicas[r] as ReplicaId;
    const rb = this.#replicas[second.replica[slot] as number] as ReplicaId;
    return ra > rb ? first.value[slot] : second.value[slot];
  }

  /** Replica of a packed slot's (first) value. */
  replicaAt(slot: number): ReplicaId {
    return this.#replicas[this.#first.replica[slot] as number] as ReplicaId;
  }

  /**
   * Stores a lone value from its fields, without building the state object (the fast lane of a
   * merge); `slot` -1 for a new key. Returns the slot used.
   */
  putLone(
    key: string,
    slot: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): number {
    const s = slot < 0 ? this.#allocate(key) : slot;
    this.#writeFirst(s, replica, seq, wall, counter, value);
    this.#clearSecond(s);
    return s;
  }

  /**
   * Turns the lone value in `slot` into a pair with a concurrent value from another replica,
   * keeping the pair sorted by replica id.
   */
  addConcurrent(
    slot: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    if (this.#before(replica, this.replicaAt(slot))) {
      // The new value sorts first: the current one moves to the second columns.
      this.#pairs().copy(slot, this.#first, slot);
      this.#writeFirst(slot, replica, seq, wall, counter, value);
    } else {
      this.#pairs().write(slot, this.#replicaNumber(replica), seq, wall, counter, value);
    }
  }

  #cmpA: ReplicaId = "";
  #cmpB: ReplicaId = "";
  #cmpLess = false;

  /** `a < b`, remembering the last pair (a merge compares the same two replicas again and again). */
  #before(a: ReplicaId, b: ReplicaId): boolean {
    if (a !== this.#cmpA || b !== this.#cmpB) {
      this.#cmpA = a;
      this.#cmpB = b;
      this.#cmpLess = a < b;
    }
    return this.#cmpLess;
  }

  /** Removes `key` (stored in `slot`). */
  delete(key: string, slot: number): void {
    this.#index.delete(key);
    this.#sorted = undefined;
    this.#keys[slot] = undefined;
    this.#first.replica[slot] = OBJECT;
    this.#first.value[slot] = undefined;
    this.#clearSecond(slot);
    this.#free.push(slot);
  }

  /** `[key, slot]` pairs in insertion order. */
  slots(): MapIterator<[string, number]> {
    return this.#index.entries();
  }

  /** Keys in insertion order. */
  keys(): MapIterator<string> {
    return this.#index.keys();
  }

  /**
   * Calls `visit` with every `[key, slot]` in ascending key order (UTF-16 code units, the order
   * of payloads), so replicas holding the same keys iterate alike. Free while slots are in order;
   * otherwise the sort is paid once per change of the key set.
   */
  *sortedSlots(): Generator<[string, number]> {
    if (this.#inOrder) {
      const keys = this.#keys;
      for (let s = 0; s < keys.length; s++) {
        const key = keys[s];
        if (key !== undefined) yield [key, s];
      }
      return;
    }
    const { keys, slots } = this.#sortedOrder();
    for (let i = 0; i < keys.length; i++) yield [keys[i] as string, slots[i] as number];
  }

  /** The keys in ascending order with their slots; cached until the key set changes. */
  #sortedOrder(): { readonly keys: readonly string[]; readonly slots: Int32Array } {
    if (this.#sorted === undefined) {
      const keys = [...this.#index.keys()].sort();
      const slots = new Int32Array(keys.length);
      for (let i = 0; i < keys.length; i++) slots[i] = this.#index.get(keys[i] as string) as number;
      this.#sorted = { keys, slots };
    }
    return this.#sorted;
  }

  /** Calls `visit(key, slot)` for every key in ascending order (see {@link KeyStore.sortedSlots}). */
  forEachSorted(visit: (key: string, slot: number) => void): void {
    if (this.#inOrder) {
      const keys = this.#keys;
      for (let s = 0; s < keys.length; s++) {
        const key = keys[s];
        if (key !== undefined) visit(key, s);
      }
      return;
    }
    const { keys, slots } = this.#sortedOrder();
    for (let i = 0; i < keys.length; i++) visit(keys[i] as string, slots[i] as number);
  }
}
