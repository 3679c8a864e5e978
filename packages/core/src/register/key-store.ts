// KeyStore: where a replica's states live — a KeyIndex (key → slot) over PackedRegisters (slot → state).
import type { KeyMatcher } from "../key-matcher.ts";
import type { ReplicaId } from "../version-vector.ts";
import { KeyIndex } from "./key-index.ts";
import type { LoneAction } from "./lone-action.ts";
import { PackedRegisters } from "./packed-registers.ts";
import type { SiblingColumns } from "./sibling-columns.ts";

export { NOT_PACKED } from "./packed-registers.ts";

/**
 * Where a replicated map keeps its states: the {@link KeyIndex} gives each key a slot (and the
 * keys' sorted order), the {@link PackedRegisters} hold each slot's state, lone register values and
 * concurrent pairs packed in typed columns. Callers see states, never the packing.
 */
export class KeyStore {
  readonly #index = new KeyIndex();
  readonly #states = new PackedRegisters();

  /** Number of stored keys (present or tombstoned). */
  get size(): number {
    return this.#index.size;
  }

  /**
   * A matcher that finds the stored key equal to a sorted sequence of UTF-8 keys by comparing
   * bytes, so an apply can reuse the stored string and slot instead of building a new string and
   * hashing it: when keys sit in slots in sorted order (every key inserted in increasing order
   * into a fresh slot), or when the keys' sorted order is cached (built by an encode or an
   * iteration, kept until a key is added or removed). Undefined otherwise.
   */
  matcher(): KeyMatcher | undefined {
    return this.#index.matcher();
  }

  /** The slot of `key`, or -1. */
  slotOf(key: string): number {
    return this.#index.slotOf(key);
  }

  /** The key stored in `slot`, or undefined (a free slot). */
  keyAt(slot: number): string | undefined {
    return this.#index.keyAt(slot);
  }

  /** The state in `slot` (a fresh object for a packed sibling or pair). */
  stateAt(slot: number): unknown {
    return this.#states.stateAt(slot);
  }

  /** The state of `key`, or undefined. */
  get(key: string): unknown {
    const slot = this.#index.slotOf(key);
    return slot < 0 ? undefined : this.#states.stateAt(slot);
  }

  /**
   * Stores `state` for `key` in `slot` (-1: a new key); returns the slot used. `pairs` allows
   * packing two concurrent values (not for resolvers that cache reads per state object).
   */
  put(key: string, slot: number, state: unknown, pairs = true): number {
    const s = slot < 0 ? this.#allocate(key) : slot;
    this.#states.put(s, state, pairs);
    return s;
  }

  /** A slot for a new key, indexed, with room in the columns. */
  #allocate(key: string): number {
    const s = this.#index.allocate(key);
    this.#states.reserve(s);
    return s;
  }

  /** See {@link PackedRegisters.loneAction}. */
  loneAction(slot: number, replica: ReplicaId, seq: number): LoneAction {
    return this.#states.loneAction(slot, replica, seq);
  }

  /**
   * The value of the newest write held packed in `slot`, or `NOT_PACKED`: lets a resolver that
   * reads the newest value (lww) answer reads from the columns with no state objects.
   */
  newestValue(slot: number): unknown {
    return this.#states.newestValue(slot);
  }

  /** See {@link PackedRegisters.copyLone}: the lone value of `slot`, copied into `into` at `row`. */
  copyLone(slot: number, into: SiblingColumns, row: number): void {
    this.#states.copyLone(slot, into, row);
  }

  /** See {@link PackedRegisters.replicaIds}. */
  get replicaIds(): readonly ReplicaId[] {
    return this.#states.replicaIds;
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
    this.#states.putLone(s, replica, seq, wall, counter, value);
    return s;
  }

  /** See {@link PackedRegisters.addConcurrent}. */
  addConcurrent(
    slot: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    this.#states.addConcurrent(slot, replica, seq, wall, counter, value);
  }

  /** Removes `key` (stored in `slot`). */
  delete(key: string, slot: number): void {
    this.#index.delete(key, slot);
    this.#states.clear(slot);
  }

  /** `[key, slot]` pairs in insertion order. */
  slots(): MapIterator<[string, number]> {
    return this.#index.slots();
  }

  /** Keys in insertion order. */
  keys(): MapIterator<string> {
    return this.#index.keys();
  }

  /**
   * Every `[key, slot]` in ascending key order (UTF-16 code units, the order of payloads), so
   * replicas holding the same keys iterate alike. Free while slots are in order; otherwise the
   * sort is paid once per change of the key set.
   */
  sortedSlots(): Generator<[string, number]> {
    return this.#index.sortedSlots();
  }

  /** Calls `visit(key, slot)` for every key in ascending order (see {@link KeyStore.sortedSlots}). */
  forEachSorted(visit: (key: string, slot: number) => void): void {
    this.#index.forEachSorted(visit);
  }
}
