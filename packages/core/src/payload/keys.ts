// Keys and replica ids in a payload: front coding on UTF-8 bytes, both ways, and 8-byte ids.
import type { KeyMatcher } from "../key-matcher.ts";
import { utf8String } from "../reader.ts";
import type { StateReader, StateWriter } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import { utf8 } from "../writer.ts";

/** Writes replica id `id` (16 hex digits) as its 8 bytes into `out`. */
export function hexToBytes8(id: ReplicaId, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) out[i] = Number.parseInt(id.slice(i * 2, i * 2 + 2), 16);
}

export { bytes8ToHex } from "../version-vector.ts";

/**
 * Writes sorted keys front-coded on their UTF-8 bytes: one `uint` of 16 × the suffix's length +
 * the shared prefix's length (15 and above: 15, then a `uint` of the rest), then the suffix. One
 * per encoded payload. An ASCII key is copied into a scratch array (two, the previous key's and
 * this one's, swapped), anything else encoded, so a key costs no allocation in the common case.
 */
export class KeyEncoder {
  #prev: Uint8Array = new Uint8Array(0);
  #prevLength = 0;
  #scratch = new Uint8Array(256);
  #spare = new Uint8Array(256);

  /** Writes `key`, which must follow the previous key in JavaScript string order. */
  write(key: string, out: StateWriter): void {
    const n = key.length;
    let bytes = this.#scratch;
    let length = n;
    let i = 0;
    if (n <= bytes.length)
      for (; i < n; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[i] = c;
      }
    if (i < n || n > bytes.length) {
      bytes = utf8.encode(key);
      length = bytes.length;
    }
    const prev = this.#prev;
    const m = Math.min(this.#prevLength, length);
    let p = 0;
    while (p < m && prev[p] === bytes[p]) p++;
    out.uint((length - p) * 16 + Math.min(p, 15));
    if (p >= 15) out.uint(p - 15);
    out.raw(bytes.subarray(p, length));
    this.#prev = bytes;
    this.#prevLength = length;
    if (bytes === this.#scratch) {
      this.#scratch = this.#spare;
      this.#spare = bytes;
    }
  }
}

/**
 * Whether a front-coded key follows the previous one in JavaScript string order, from the bytes at
 * the first position where they differ: `left` is the previous key's byte there (-1: the previous
 * key ended), `right` the new key's (-1: the new key ended). 1: it follows; 0: it does not; -1:
 * both bytes belong to non-ASCII characters, whose UTF-8 order may differ from UTF-16 order, so
 * the caller compares the strings.
 */
function keyAfter(left: number, right: number): 1 | 0 | -1 {
  if (right < 0) return 0;
  if (left < 0) return 1;
  if (left < 0x80 || right < 0x80) return right > left ? 1 : 0;
  return -1;
}

/**
 * Reads front-coded keys, checking that each is canonical (the longest shared prefix) and follows
 * the previous one. One per decoded payload: it holds the previous key's bytes.
 */
export class KeyDecoder {
  #buf: Uint8Array = new Uint8Array(256);
  #prevLen = 0;
  #prev = "";

  /**
   * Reads entry `i`'s key. With a `matcher`, a key already stored is taken from the store and its
   * slot written to `slots[i]` (-1 for a key surely not stored) instead of decoding a new string.
   */
  read(r: StateReader, i: number, matcher: KeyMatcher | undefined, slots: Int32Array | undefined): string {
    const prevLen = this.#prevLen;
    let buf = this.#buf;
    const h = r.uint();
    const n = Math.floor(h / 16);
    let p = h % 16;
    if (p === 15) p += r.uint();
    if (p > prevLen) r.fail(`key prefix ${p} longer than the previous key`);
    const maxKeyBytes = r.limits.maxKeyBytes;
    if (p + n > maxKeyBytes) r.fail(`key of ${p + n} bytes exceeds the limit ${maxKeyBytes}`);
    if (p + n > buf.length) {
      const bigger = new Uint8Array(Math.max(p + n, buf.length * 2));
      // The whole previous key: its byte at p decides the order and the canonical-prefix check.
      bigger.set(buf.subarray(0, prevLen));
      buf = bigger;
      this.#buf = bigger;
    }
    // Canonical front coding shares the longest prefix: the suffix may not start with the
    // previous key's next byte. Order is decided where the key leaves the previous one: at byte p
    // (see keyAfter).
    const left = p < prevLen ? (buf[p] as number) : -1;
    if (i > 0 && n > 0 && left >= 0 && left === r.peek()) r.fail("key prefix shorter than the shared prefix");
    r.copyInto(n, buf, p);
    const order = i === 0 ? 1 : keyAfter(left, n === 0 ? -1 : (buf[p] as number));
    if (order === 0) r.fail("keys not in strictly increasing order");
    const length = p + n;
    this.#prevLen = length;
    let key = matcher?.match(buf, length);
    if (key === undefined) {
      key = utf8String(buf, 0, length) ?? r.fail("key is not valid UTF-8");
      if (matcher?.absent === true) (slots as Int32Array)[i] = -1;
    } else (slots as Int32Array)[i] = matcher?.slot ?? -2;
    if (order < 0 && !(key > this.#prev)) r.fail("keys not in strictly increasing order");
    this.#prev = key;
    return key;
  }
}
