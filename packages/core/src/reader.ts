import { DecodeError } from "./errors.ts";

// ignoreBOM: a leading U+FEFF is part of the string (by default TextDecoder would drop it, so
// "\uFEFFx" would decode as "x").
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/**
 * Node's native one-byte string constructor when present (`Buffer.prototype.latin1Slice`): builds
 * an ASCII string straight from the bytes, without intermediate views. Elsewhere, TextDecoder.
 */
const latin1Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined = (
  globalThis as {
    Buffer?: { prototype: { latin1Slice?: (this: Uint8Array, start: number, end: number) => string } };
  }
).Buffer?.prototype.latin1Slice;

/** The flat string of the UTF-8 bytes `[start, end)` of `buf`, or undefined when they are not valid UTF-8. */
export function utf8String(buf: Uint8Array, start: number, end: number): string | undefined {
  let i = start;
  while (i < end && (buf[i] as number) < 0x80) i++;
  if (i === end && latin1Slice !== undefined) return latin1Slice.call(buf, start, end);
  try {
    return decoder.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}

/**
 * Reads what {@link Writer} wrote, trusting nothing: every read is bounds-checked, varints are
 * limited to 2^53 - 1, counts are checked against the bytes left, strings must be valid UTF-8.
 * Every failure is a {@link DecodeError}.
 */
export class Reader {
  #buf: Uint8Array;
  /** Made on the first float read: most payloads and frames have none, and a DataView costs. */
  #view: DataView | undefined;
  #pos: number;
  #end: number;

  constructor(bytes: Uint8Array, start = 0, end: number = bytes.length) {
    this.#buf = bytes;
    this.#view = undefined;
    this.#pos = start;
    this.#end = end;
  }

  /** Current offset. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Throws a `DECODE_MALFORMED` error at the current offset. */
  fail(message: string): never {
    throw new DecodeError("DECODE_MALFORMED", message, this.#pos);
  }

  #truncated(what: string): never {
    throw new DecodeError("DECODE_TRUNCATED", `payload ends inside ${what}`, this.#pos);
  }

  /** @internal The bytes read (the whole array; reading stops at {@link Reader.end}), for fused fast readers. */
  get source(): Uint8Array {
    return this.#buf;
  }

  /** @internal Offset where reading stops. */
  get end(): number {
    return this.#end;
  }

  /** Moves back (or forward) to `offset`, within the reader's range. */
  seek(offset: number): void {
    if (offset < 0 || offset > this.#end) throw new RangeError(`offset ${offset} outside the payload`);
    this.#pos = offset;
  }

  /** The next byte without consuming it (-1 at the end). */
  peek(): number {
    return this.#pos < this.#end ? (this.#buf[this.#pos] as number) : -1;
  }

  byte(): number {
    if (this.#pos >= this.#end) this.#truncated("a byte");
    return this.#buf[this.#pos++] as number;
  }

  /** Unsigned LEB128 varint; refuses values above 2^53 - 1 and non-minimal encodings. */
  uint(): number {
    const buf = this.#buf;
    let pos = this.#pos;
    if (pos >= this.#end) this.#truncated("a varint");
    let b = buf[pos++] as number;
    if (b < 0x80) {
      this.#pos = pos;
      return b;
    }
    let result = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; ; i++) {
      if (pos >= this.#end) {
        this.#pos = pos;
        this.#truncated("a varint");
      }
      b = buf[pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (b === 0) {
          this.#pos = pos;
          this.fail("non-minimal varint");
        }
        break;
      }
      scale *= 0x80;
      if (i >= 7) {
        this.#pos = pos;
        this.fail("varint longer than 8 bytes");
      }
    }
    this.#pos = pos;
    if (result > Number.MAX_SAFE_INTEGER) this.fail("varint above 2^53 - 1");
    return result;
  }

  /** Zigzag varint. */
  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  float64(): number {
    if (this.#end - this.#pos < 8) this.#truncated("a float64");
    const buf = this.#buf;
    this.#view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const v = this.#view.getFloat64(this.#pos);
    this.#pos += 8;
    return v;
  }

  /**
   * A count of items that each take at least `minBytesPerItem` bytes: refused when the bytes left
   * cannot hold that many items, so a forged count never drives a huge allocation.
   */
  count(minBytesPerItem: number, what: string): number {
    const n = this.uint();
    if (n * minBytesPerItem > this.#end - this.#pos) {
      this.fail(`${what} count ${n} does not fit in the ${this.#end - this.#pos} bytes left`);
    }
    return n;
  }

  /** `n` raw bytes (a view, not a copy). */
  raw(n: number): Uint8Array {
    if (this.#end - this.#pos < n) this.#truncated(`${n} raw bytes`);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Copies `n` bytes into `target` at `offset` (no intermediate view). */
  copyInto(n: number, target: Uint8Array, offset: number): void {
    if (this.#end - this.#pos < n) this.#truncated(`${n} raw bytes`);
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < n; i++) target[offset + i] = buf[p++] as number;
    this.#pos = p;
  }

  /** Length-prefixed bytes, copied. */
  bytes(maxLength: number): Uint8Array {
    const n = this.uint();
    if (n > maxLength) this.fail(`byte string of ${n} bytes exceeds the limit ${maxLength}`);
    return this.raw(n).slice();
  }

  /** Length-prefixed UTF-8 string of at most `maxBytes` bytes. */
  string(maxBytes: number): string {
    const n = this.uint();
    if (n > maxBytes) this.fail(`string of ${n} bytes exceeds the limit ${maxBytes}`);
    if (this.#end - this.#pos < n) this.#truncated("a string");
    const s = utf8String(this.#buf, this.#pos, this.#pos + n) ?? this.fail("invalid UTF-8 in string");
    this.#pos += n;
    return s;
  }

  /** @internal Drops the bytes read (the reader then reads nothing). */
  release(): void {
    this.#buf = EMPTY;
    this.#view = undefined;
    this.#pos = 0;
    this.#end = 0;
  }

  /** Throws unless every byte was consumed. */
  done(): void {
    if (this.#pos !== this.#end) this.fail(`${this.#end - this.#pos} unexpected trailing bytes`);
  }
}
