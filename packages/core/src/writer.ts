/** The UTF-8 encoder core shares (one per realm is enough: `encode` keeps no state). */
export const utf8: { encode(text: string): Uint8Array<ArrayBuffer> } = new TextEncoder();

/** Largest magnitude {@link Writer.int} accepts: 2^52 - 1, so that zigzag values stay below 2^53. */
export const MAX_ZIGZAG: number = 2 ** 52 - 1;

/**
 * Appends binary primitives to a growable buffer: bytes, LEB128 unsigned varints (up to 2^53 - 1),
 * zigzag signed varints, float64 (big-endian), and length-prefixed UTF-8 strings and byte arrays.
 * Resolvers use it to encode their states; see docs/FORMAT.md.
 */
export class Writer {
  #buf: Uint8Array;
  /** Made on the first float written: most payloads have none, and a DataView costs. */
  #view: DataView | undefined;
  #pos = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = undefined;
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  #ensure(extra: number): void {
    const need = this.#pos + extra;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = undefined;
  }

  /** One byte (0-255). */
  byte(value: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = value;
  }

  /** Unsigned LEB128 varint of a safe non-negative integer. */
  uint(value: number): void {
    this.#ensure(8);
    const buf = this.#buf;
    let v = value;
    while (v >= 0x80) {
      buf[this.#pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.#pos++] = v;
  }

  /** Zigzag varint of an integer with magnitude below 2^52 (so the zigzag form stays exact). */
  int(value: number): void {
    if (!(Math.abs(value) <= MAX_ZIGZAG) || !Number.isInteger(value)) {
      throw new RangeError(`${value} is not an integer of magnitude below 2^52`);
    }
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** IEEE 754 float64, big-endian. */
  float64(value: number): void {
    this.#ensure(8);
    this.#view ??= new DataView(this.#buf.buffer);
    this.#view.setFloat64(this.#pos, value);
    this.#pos += 8;
  }

  /** Raw bytes without a length. */
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Length-prefixed bytes. */
  bytes(bytes: Uint8Array): void {
    this.uint(bytes.length);
    this.raw(bytes);
  }

  /** Length-prefixed UTF-8 string (the string must be well-formed UTF-16). */
  string(value: string): void {
    const n = value.length;
    // ASCII fast path: byte length equals string length.
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (value.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uint(n);
      this.#ensure(n);
      const buf = this.#buf;
      let p = this.#pos;
      for (let i = 0; i < n; i++) buf[p++] = value.charCodeAt(i);
      this.#pos = p;
      return;
    }
    const encoded = utf8.encode(value);
    this.bytes(encoded);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}
