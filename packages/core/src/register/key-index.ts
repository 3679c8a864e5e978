// KeyIndex: key → slot, free slots for reuse, and the keys' sorted order (free while slots are in order).
import { KeyMatcher } from "../key-matcher.ts";

/** Slots the key array starts with (see `#keys`). */
const INITIAL_SLOTS = 8;

/** A copy of `keys` with twice the slots, the new ones free. */
function grown(keys: readonly (string | undefined)[]): (string | undefined)[] {
  const next = new Array<string | undefined>(keys.length * 2);
  for (let i = 0; i < keys.length; i++) next[i] = keys[i];
  return next;
}

/**
 * The key side of the {@link KeyStore}: a hash index from key to slot, the key held in each slot,
 * the slots freed by deletes (reused first), and the keys' ascending order — free while every key
 * was inserted in increasing order into a fresh slot, otherwise sorted once per change of the key
 * set. Knows nothing of what a slot holds.
 */
export class KeyIndex {
  readonly #index = new Map<string, number>();
  /**
   * The key in each slot (undefined: free or never used). Its length doubles with the value
   * columns' rows, a fresh array each time (so its backing store is the size asked, where pushes
   * would leave up to half of it spare); slots from `#used` on were never used.
   */
  #keys: (string | undefined)[] = new Array<string | undefined>(INITIAL_SLOTS);
  #used = 0;
  readonly #free: number[] = [];
  #last = "";
  #inOrder = true;
  /** The slot {@link KeyIndex.slotOf} last found (see there). */
  #hint = -1;
  /** Keys sorted, when slots are not in order; rebuilt after a key is added or removed. */
  #sorted: { readonly keys: readonly string[]; readonly slots: Int32Array } | undefined;

  /** Number of indexed keys. */
  get size(): number {
    return this.#index.size;
  }

  /**
   * A matcher that finds the stored key equal to a sorted sequence of UTF-8 keys by comparing
   * bytes (see {@link KeyStore.matcher}): over the slots themselves when keys sit in them in
   * sorted order, else over the cached sorted order when no key was added or removed since it was
   * last built (by an encode or an iteration); undefined otherwise.
   */
  matcher(): KeyMatcher | undefined {
    if (this.#inOrder) return new KeyMatcher(this.#keys);
    const sorted = this.#sorted;
    return sorted === undefined ? undefined : new KeyMatcher(sorted.keys, sorted.slots);
  }

  /**
   * The slot of `key`, or -1. A key held in the slot after the last one found is found without
   * hashing (reads in slot order: a replica's write order, or key order when slots are in order);
   * the slot's own key decides, so the shortcut is never wrong.
   */
  slotOf(key: string): number {
    const next = this.#hint + 1;
    if (this.#keys[next] === key) {
      this.#hint = next;
      return next;
    }
    const slot = this.#index.get(key);
    if (slot === undefined) return -1;
    this.#hint = slot;
    return slot;
  }

  /** The key in `slot`, or undefined (a free slot, or one never used). */
  keyAt(slot: number): string | undefined {
    return this.#keys[slot];
  }

  /** A slot for a new key (a freed one first), indexed; tracks whether slots stay in sorted key order. */
  allocate(key: string): number {
    const reused = this.#free.pop();
    let s: number;
    if (reused === undefined) {
      s = this.#used++;
      if (s === this.#keys.length) this.#keys = grown(this.#keys);
    } else {
      s = reused;
      this.#inOrder = false;
    }
    this.#keys[s] = key;
    this.#index.set(key, s);
    this.#sorted = undefined;
    if (this.#inOrder) {
      if (this.#index.size > 1 && !(key > this.#last)) this.#inOrder = false;
      this.#last = key;
    }
    return s;
  }

  /** Removes `key` (indexed at `slot`); the slot is reused by a later key. */
  delete(key: string, slot: number): void {
    this.#index.delete(key);
    this.#sorted = undefined;
    this.#keys[slot] = undefined;
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

  /** Every `[key, slot]` in ascending key order (UTF-16 code units, the order of payloads). */
  *sortedSlots(): Generator<[string, number]> {
    const { keys, slots } = this.#order();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) yield [key, slots === undefined ? i : (slots[i] as number)];
    }
  }

  /** Calls `visit(key, slot)` for every key in ascending order (see {@link KeyIndex.sortedSlots}). */
  forEachSorted(visit: (key: string, slot: number) => void): void {
    const { keys, slots } = this.#order();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) visit(key, slots === undefined ? i : (slots[i] as number));
    }
  }

  /**
   * The keys in ascending order (undefined: a freed slot) and their slots: the slots themselves
   * while they are in order (`slots` undefined), else a sorted copy cached until the key set changes.
   */
  #order(): { readonly keys: readonly (string | undefined)[]; readonly slots: Int32Array | undefined } {
    if (this.#inOrder) return { keys: this.#keys, slots: undefined };
    if (this.#sorted === undefined) {
      const keys = [...this.#index.keys()].sort();
      const slots = new Int32Array(keys.length);
      for (let i = 0; i < keys.length; i++) slots[i] = this.#index.get(keys[i] as string) as number;
      this.#sorted = { keys, slots };
    }
    return this.#sorted;
  }
}
