// Reads: get, has, entries, keys and conflicts, with lww values read straight from packed columns.
import type { AnyResolver } from "../key-rules.ts";
import { type KeyStore, NOT_PACKED } from "../register/key-store.ts";
import { readsNewest } from "../register/register-resolver.ts";
import type { Concurrent } from "../resolver.ts";

/** The read side of a replica over its store. Arguments are checked by the caller. */
export class Reads {
  readonly #store: KeyStore;
  readonly #resolverFor: (key: string) => AnyResolver;

  constructor(store: KeyStore, resolverFor: (key: string) => AnyResolver) {
    this.#store = store;
    this.#resolverFor = resolverFor;
  }

  /** The value of `key`, or undefined. */
  get(key: string): unknown {
    const store = this.#store;
    const slot = store.slotOf(key);
    if (slot < 0) return undefined;
    const resolver = this.#resolverFor(key);
    if (readsNewest(resolver)) {
      const v = store.newestValue(slot);
      if (v !== NOT_PACKED) return v;
    }
    return resolver.read(store.stateAt(slot));
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    const s = this.#store.get(key);
    return s !== undefined && this.#resolverFor(key).exists(s);
  }

  /** Every concurrent value of `key`. */
  conflicts(key: string): readonly Concurrent<unknown>[] {
    const s = this.#store.get(key);
    return s === undefined ? [] : this.#resolverFor(key).conflicts(s);
  }

  /** Present keys and values in ascending key order. */
  *entries(): IterableIterator<[string, unknown]> {
    const store = this.#store;
    for (const [key, slot] of store.sortedSlots()) {
      const r = this.#resolverFor(key);
      if (readsNewest(r)) {
        const v = store.newestValue(slot);
        if (v !== NOT_PACKED) {
          yield [key, v];
          continue;
        }
      }
      const s = store.stateAt(slot);
      if (r.exists(s)) yield [key, r.read(s)];
    }
  }

  /** Present keys in ascending order. */
  *keys(): IterableIterator<string> {
    const store = this.#store;
    for (const [key, slot] of store.sortedSlots())
      if (this.#resolverFor(key).exists(store.stateAt(slot))) yield key;
  }
}
