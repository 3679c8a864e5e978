import { Sibling } from "./register.ts";
import type { ReplicaId } from "./version-vector.ts";

/** Marks a slot whose state is an object in the value column rather than a packed sibling. */
const OBJECT = 0xffffffff;
const MAX_PACKED_SEQ = 0xffffffff;

/**
 * Where a replicated map keeps its states: a hash index from key to slot, and columns. The common
 * state — a register holding one value and nothing else (a lone {@link Sibling}) — is packed into
 * the columns (replica, seq, wall, counter, value) instead of being kept as an object, which
 * roughly halves the memory per key; any other state is stored as an object. Packed states are
 * rebuilt as fresh immutable objects on read, so callers never see the difference.
 */
export class KeyStore {
  readonly #index = new Map<string, number>();
  #replica = new Uint32Array(1024);
  #seq = new Uint32Array(1024);
  #wall = new Float64Array(1024);
  #counter = new Uint16Array(1024);
  #value: unknown[] = [];
  readonly #keys: (string | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #replicas: ReplicaId[] = [];
  readonly #replicaIndex = new Map<ReplicaId, number>();
  #last = "";
  #inOrder = true;

  /** Number of stored keys (present or tombstoned). */
  get size(): number {
    return this.#index.size;
  }

  /**
   * True while every key was inserted in increasing order into a fresh slot, so slots
   * 0..{@link KeyStore.slotCount} hold keys sorted (deleted slots are empty).
   */
  get inOrder(): boolean {
    return this.#inOrder;
  }

  /** Number of slots ever used (some may be empty). */
  get slotCount(): number {
    return this.#keys.length;
  }

  /** The key in `slot` (undefined for an empty slot). */
  keyAt(slot: number): string | undefined {
    return this.#keys[slot];
  }

  /** The slot of `key`, or -1. */
  slotOf(key: string): number {
    return this.#index.get(key) ?? -1;
  }

  /** The state in `slot` (a fresh object for a packed sibling). */
  stateAt(slot: number): unknown {
    const r = this.#replica[slot] as number;
    if (r === OBJECT) return this.#value[slot];
    return new Sibling(
      this.#replicas[r] as ReplicaId,
      this.#seq[slot] as number,
      this.#wall[slot] as number,
      this.#counter[slot] as number,
      this.#value[slot] as Sibling["value"],
    );
  }

  /** The state of `key`, or undefined. */
  get(key: string): unknown {
    const slot = this.#index.get(key);
    return slot === undefined ? undefined : this.stateAt(slot);
  }

  /** Stores `state` for `key` in `slot` (-1: a new key); returns the slot used. */
  put(key: string, slot: number, state: unknown): number {
    let s = slot;
    if (s < 0) {
      const reused = this.#free.pop();
      s = reused ?? this.#value.length;
      if (s >= this.#replica.length) this.#grow();
      if (reused === undefined) {
        this.#value.push(undefined);
        this.#keys.push(key);
      } else {
        this.#keys[s] = key;
        this.#inOrder = false;
      }
      this.#index.set(key, s);
      if (this.#inOrder) {
        if (this.#index.size > 1 && !(key > this.#last)) this.#inOrder = false;
        this.#last = key;
      }
    }
    if (state instanceof Sibling && state.seq <= MAX_PACKED_SEQ) {
      let r = this.#replicaIndex.get(state.replica);
      if (r === undefined) {
        r = this.#replicas.length;
        this.#replicas.push(state.replica);
        this.#replicaIndex.set(state.replica, r);
      }
      this.#replica[s] = r;
      this.#seq[s] = state.seq;
      this.#wall[s] = state.wall;
      this.#counter[s] = state.counter;
      this.#value[s] = state.value;
    } else {
      this.#replica[s] = OBJECT;
      this.#value[s] = state;
    }
    return s;
  }

  /** Removes `key` (stored in `slot`). */
  delete(key: string, slot: number): void {
    this.#index.delete(key);
    this.#keys[slot] = undefined;
    this.#replica[slot] = OBJECT;
    this.#value[slot] = undefined;
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

  #grow(): void {
    const cap = this.#replica.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(old);
      return next;
    };
    this.#replica = grow(this.#replica, (n) => new Uint32Array(n));
    this.#seq = grow(this.#seq, (n) => new Uint32Array(n));
    this.#wall = grow(this.#wall, (n) => new Float64Array(n));
    this.#counter = grow(this.#counter, (n) => new Uint16Array(n));
  }
}
