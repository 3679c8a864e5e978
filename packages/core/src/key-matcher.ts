// KeyMatcher: a byte-level walk of a store's sorted keys alongside a payload's sorted keys.
import { keepShape } from "./shape-keeper.ts";

/**
 * Walks a store's sorted keys alongside a sorted stream of UTF-8 keys (ASCII fast path; any
 * non-ASCII comparison gives up and lets the caller decode the key as usual).
 */
export class KeyMatcher {
  #keys: readonly (string | undefined)[];
  #cursor = 0;
  /** Slot of the last match. */
  slot = -1;
  /** After a `match` that returned undefined: true when the key is surely not stored. */
  absent = false;

  constructor(keys: readonly (string | undefined)[]) {
    this.#keys = keys;
  }

  /** Forgets the store's keys once the walk is over (see shape-keeper.ts). */
  release(): void {
    this.#keys = [];
    this.#cursor = 0;
    keepShape("KeyMatcher", this);
  }

  /** The stored key whose bytes are `buf[0, length)`, or undefined (new key, or not decidable). */
  match(buf: Uint8Array, length: number): string | undefined {
    const keys = this.#keys;
    this.absent = false;
    while (this.#cursor < keys.length) {
      const key = keys[this.#cursor];
      if (key === undefined) {
        this.#cursor++;
        continue;
      }
      const n = Math.min(key.length, length);
      let i = 0;
      while (i < n) {
        const c = key.charCodeAt(i);
        if (c !== buf[i] || c >= 0x80) break;
        i++;
      }
      let cmp: number;
      if (i < n) {
        const c = key.charCodeAt(i);
        const b = buf[i] as number;
        if (c >= 0x80 || b >= 0x80) return undefined;
        cmp = c - b;
      } else cmp = key.length - length;
      if (cmp < 0) {
        this.#cursor++;
        continue;
      }
      if (cmp > 0) {
        this.absent = true;
        return undefined;
      }
      this.slot = this.#cursor;
      return key;
    }
    this.absent = true;
    return undefined;
  }
}
