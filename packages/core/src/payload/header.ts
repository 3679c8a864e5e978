// The payload's frame: sealing (length field, checksum) and the integrity checks of an opening.
import {
  CHECKSUM_BYTES,
  checksumMatches,
  SHORT_CHECKSUM_BYTES,
  shortChecksumMatches,
  writeChecksum,
  writeShortChecksum,
} from "../checksum.ts";
import { DecodeError } from "../errors.ts";
import { Reader } from "../reader.ts";
import type { DecodeLimits } from "../state-codec.ts";
import {
  FIXED_HEADER_BYTES,
  FORMAT_VERSION,
  KINDS,
  MAGIC_0,
  MAGIC_1,
  MAX_SINGLE_WRITE_BYTES,
  type PayloadKind,
  SINGLE_WRITE_HEADER_BYTES,
  SINGLE_WRITE_KIND,
} from "./format.ts";

/** Writes `v` as a `uint` at `at`; returns the offset after it. */
export function putUint(buf: Uint8Array, at: number, v: number): number {
  let p = at;
  let n = v;
  while (n >= 0x80) {
    buf[p++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[p++] = n;
  return p;
}

/**
 * Joins the parts of a payload — the 12 fixed header bytes first, then the rest — into one array
 * with the total length after the fixed header and the checksum at the end.
 */
export function seal(parts: readonly Uint8Array[]): Uint8Array {
  let content = 0;
  for (const p of parts) content += p.length;
  // The length counts itself: the fewest varint bytes n whose total fits in n bytes.
  let n = 1;
  while (content + n + CHECKSUM_BYTES >= 128 ** n) n++;
  const total = content + n + CHECKSUM_BYTES;
  const out = new Uint8Array(total);
  const first = parts[0] as Uint8Array;
  out.set(first, 0);
  let at = putUint(out, FIXED_HEADER_BYTES, total);
  out.set(first.subarray(FIXED_HEADER_BYTES), at);
  at += first.length - FIXED_HEADER_BYTES;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as Uint8Array;
    out.set(p, at);
    at += p.length;
  }
  writeChecksum(out, at);
  return out;
}

/**
 * Seals a single-write op: `content` is its 4 header bytes then its fields, with room for neither
 * the length nor the checksum; the checksum covers `fingerprint` (which the op does not carry)
 * and then the payload.
 */
export function sealSingleWrite(content: Uint8Array, fingerprint: Uint8Array): Uint8Array {
  const head = SINGLE_WRITE_HEADER_BYTES;
  let total = content.length + 1 + SHORT_CHECKSUM_BYTES;
  if (total >= 0x80) total++;
  if (total >= 0x4000) total++;
  const out = new Uint8Array(total);
  out.set(content.subarray(0, head));
  out.set(content.subarray(head), putUint(out, head, total));
  writeShortChecksum(out, total - SHORT_CHECKSUM_BYTES, fingerprint);
  return out;
}

/**
 * For tests that forge payloads (exported by `@converge/core/testing`): what {@link sealPayload}
 * seals — the payload without its length field and checksum. `bytes` must be a payload of this
 * format version.
 */
export function unsealPayload(bytes: Uint8Array): Uint8Array {
  const single = bytes[3] === SINGLE_WRITE_KIND;
  const head = single ? SINGLE_WRITE_HEADER_BYTES : FIXED_HEADER_BYTES;
  const sum = single ? SHORT_CHECKSUM_BYTES : CHECKSUM_BYTES;
  const r = new Reader(bytes, head, bytes.length);
  r.uint();
  const out = new Uint8Array(head + bytes.length - r.offset - sum);
  out.set(bytes.subarray(0, head));
  out.set(bytes.subarray(r.offset, bytes.length - sum), head);
  return out;
}

/**
 * For tests that forge payloads (exported by `@converge/core/testing`): adds the length field and
 * the checksum to `content` (the 12 fixed header bytes, then the rest; for a single-write op, kind
 * byte 4, its 4 header bytes then the rest), as the encoder does, so that a decoder checks
 * everything past them. A single-write op's checksum covers the key-rule `fingerprint` of the
 * replica that will read it (`ReplicatedMap.fingerprint`'s bytes): pass it to seal one; without
 * it, any content is sealed in the general frame (so a fuzzer's edit that made a kind byte 4 gives
 * a payload the decoder refuses).
 * `unsealPayload`, edit, `sealPayload`: a fuzzer that reaches the decoder's structural checks.
 */
export function sealPayload(content: Uint8Array, fingerprint?: Uint8Array): Uint8Array {
  if (fingerprint !== undefined && content.length > 3 && content[3] === SINGLE_WRITE_KIND)
    return sealSingleWrite(content, fingerprint);
  if (content.length < FIXED_HEADER_BYTES)
    throw new RangeError(
      `payload content of ${content.length} bytes lacks the ${FIXED_HEADER_BYTES}-byte header`,
    );
  return seal([content]);
}

/** What {@link openPayload} found: the payload's kind and where its content lies. */
export interface PayloadFrame {
  readonly kind: PayloadKind;
  /** True for an op in the single-write layout (kind byte 4). */
  readonly single: boolean;
  /** Offset of the content after the length field. */
  readonly start: number;
  /** Offset of the checksum (where the content ends). */
  readonly end: number;
}

/**
 * Checks a payload's integrity before anything else: what identifies the format, then the
 * declared length (fewer bytes than it says is a truncation, whatever they hold), then the
 * checksum, then the kind byte. `fingerprint` is the reader's key-rule fingerprint, which a
 * single-write op's checksum covers.
 *
 * @throws DecodeError (`DECODE_MALFORMED`, `DECODE_TOO_LARGE`, `FORMAT_VERSION`,
 * `DECODE_TRUNCATED`, `DECODE_CHECKSUM`).
 */
export function openPayload(bytes: Uint8Array, limits: DecodeLimits, fingerprint: Uint8Array): PayloadFrame {
  if (!(bytes instanceof Uint8Array))
    throw new DecodeError("DECODE_MALFORMED", "payload is not a Uint8Array", 0);
  if (bytes.length > limits.maxPayloadBytes) {
    throw new DecodeError(
      "DECODE_TOO_LARGE",
      `payload of ${bytes.length} bytes exceeds the limit of ${limits.maxPayloadBytes}`,
      0,
    );
  }
  const length = bytes.length;
  if ((length > 0 && bytes[0] !== MAGIC_0) || (length > 1 && bytes[1] !== MAGIC_1)) {
    throw new DecodeError("DECODE_MALFORMED", "not a converge payload (bad magic bytes)", 0);
  }
  if (length > 2 && bytes[2] !== FORMAT_VERSION) {
    throw new DecodeError(
      "FORMAT_VERSION",
      `payload is in format version ${bytes[2]}; this build reads version ${FORMAT_VERSION} only`,
      2,
    );
  }
  const single = length > 3 && bytes[3] === SINGLE_WRITE_KIND;
  const head = single ? SINGLE_WRITE_HEADER_BYTES : FIXED_HEADER_BYTES;
  const sumBytes = single ? SHORT_CHECKSUM_BYTES : CHECKSUM_BYTES;
  if (length <= head) throw new DecodeError("DECODE_TRUNCATED", "payload shorter than its header", length);
  const declared = uintAt(bytes, head, length);
  const start = uintEnd;
  if (declared < start + sumBytes) {
    throw new DecodeError(
      "DECODE_MALFORMED",
      `declared length ${declared} is shorter than the header and checksum`,
      head,
    );
  }
  if (length < declared) {
    throw new DecodeError(
      "DECODE_TRUNCATED",
      `payload ends after ${length} of its ${declared} bytes`,
      length,
    );
  }
  if (length > declared) {
    throw new DecodeError(
      "DECODE_MALFORMED",
      `${length - declared} unexpected trailing bytes after the declared length ${declared}`,
      declared,
    );
  }
  // The length takes the fewest bytes that hold it: one fewer would leave room (total − 1).
  if (start - head > 1 && declared - 1 < 128 ** (start - head - 1))
    throw new DecodeError("DECODE_MALFORMED", "length field longer than the length needs", head);
  const end = declared - sumBytes;
  if (single) {
    if (declared > MAX_SINGLE_WRITE_BYTES) {
      throw new DecodeError(
        "DECODE_MALFORMED",
        `single-write op of ${declared} bytes exceeds ${MAX_SINGLE_WRITE_BYTES}`,
        head,
      );
    }
    if (!shortChecksumMatches(bytes, end, fingerprint)) {
      throw new DecodeError(
        "DECODE_CHECKSUM",
        "single-write op checksum does not match its bytes and this replica's key rules (damaged, or sent by a replica with other key rules)",
        end,
      );
    }
    return { kind: "op", single, start, end };
  }
  if (!checksumMatches(bytes, end)) {
    throw new DecodeError("DECODE_CHECKSUM", "payload checksum does not match its bytes", end);
  }
  const kind = KINDS[bytes[3] as number];
  if (kind === undefined) throw new DecodeError("DECODE_MALFORMED", `unknown payload kind ${bytes[3]}`, 3);
  return { kind, single, start, end };
}

/** Offset after the `uint` {@link uintAt} read last. */
export let uintEnd = 0;

/** Sets {@link uintEnd} (for a reader that read a field past {@link uintAt}). */
export function setUintEnd(offset: number): void {
  uintEnd = offset;
}

/**
 * The `uint` at `at`, before `end`, refused as {@link Reader.uint} refuses one (truncated,
 * non-minimal, longer than 8 bytes, above 2^53 − 1), without a reader; its end goes to
 * {@link uintEnd}.
 */
export function uintAt(bytes: Uint8Array, at: number, end: number): number {
  let pos = at;
  let result = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new DecodeError("DECODE_TRUNCATED", "payload ends inside a varint", pos);
    const b = bytes[pos++] as number;
    result += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 && i > 0) throw new DecodeError("DECODE_MALFORMED", "non-minimal varint", pos);
      break;
    }
    scale *= 0x80;
    if (i >= 7) throw new DecodeError("DECODE_MALFORMED", "varint longer than 8 bytes", pos);
  }
  if (result > Number.MAX_SAFE_INTEGER)
    throw new DecodeError("DECODE_MALFORMED", "varint above 2^53 - 1", pos);
  uintEnd = pos;
  return result;
}
