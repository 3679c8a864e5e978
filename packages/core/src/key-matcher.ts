// KeyMatcher: a byte-level walk of a store's sorted keys alongside a payload's sorted keys.
import { keepShape } from "./shape-keeper.ts";

/**
 * Walks a store's sorted keys alongside a sorted stream of UTF-8 keys (ASCII fast path; any
 * non-ASCII comparison gives up and lets the caller decode the key as usual).
 */
export class KeyMatcher {
  #keys: readonly (string | undefined)[];
  /** The slot of each of `#keys`, when they are a sorted copy; undefined when the index is the slot. */
  #slots: Int32Array | undefined;
  #cursor = 0;
  /** Slot of the last match. */
  slot = -1;
  /** After a `match` that returned undefined: true when the key is surely not stored. */
  absent = false;

  /**
   * `keys` in ascending order (undefined: a freed slot); `slots[i]` is the slot of `keys[i]`, or
   * omit `slots` when `keys` is indexed by slot.
   */
  constructor(keys: readonly (string | undefined)[], slots?: Int32Array) {
    this.#keys = keys;
    this.#slots = slots;
  }

  /** Forgets the store's keys once the walk is over (see shape-keeper.ts). */
  release(): void {
    this.#keys = [];
    this.#slots = undefined;
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
      const slots = this.#slots;
      this.slot = slots === undefined ? this.#cursor : (slots[this.#cursor] as number);
      return key;
    }
    this.absent = true;
    return undefined;
  }
}
