// The payload's frame: sealing (length field, checksum) and the integrity checks of an opening.
import { CHECKSUM_BYTES, checksumMatches, writeChecksum } from "../checksum.ts";
import { DecodeError } from "../errors.ts";
import { Reader } from "../reader.ts";
import type { DecodeLimits } from "../state-codec.ts";
import { FIXED_HEADER_BYTES, FORMAT_VERSION, KINDS, MAGIC_0, MAGIC_1, type PayloadKind } from "./format.ts";

/** Bytes of `n` as a `uint`. */
function uintBytes(n: number): number {
  let bytes = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) bytes++;
  return bytes;
}

/**
 * Joins the parts of a payload — the 12 fixed header bytes first, then the rest — into one array
 * with the total length after the fixed header and the checksum at the end.
 */
export function seal(parts: readonly Uint8Array[]): Uint8Array {
  let content = 0;
  for (const p of parts) content += p.length;
  // The length counts itself: the smallest varint size that fits the total it makes.
  let lengthBytes = 1;
  while (uintBytes(content + lengthBytes + CHECKSUM_BYTES) !== lengthBytes) lengthBytes++;
  const total = content + lengthBytes + CHECKSUM_BYTES;
  const out = new Uint8Array(total);
  const first = parts[0] as Uint8Array;
  out.set(first, 0);
  let at = FIXED_HEADER_BYTES;
  for (let v = total; ; v = Math.floor(v / 0x80)) {
    if (v < 0x80) {
      out[at++] = v;
      break;
    }
    out[at++] = (v % 0x80) | 0x80;
  }
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
 * For tests that forge payloads (exported by `@converge/core/testing`): what {@link sealPayload}
 * seals — the payload without its length field and checksum. `bytes` must be a payload of this
 * format version.
 */
export function unsealPayload(bytes: Uint8Array): Uint8Array {
  const r = new Reader(bytes, FIXED_HEADER_BYTES, bytes.length);
  r.uint();
  const out = new Uint8Array(FIXED_HEADER_BYTES + bytes.length - r.offset - CHECKSUM_BYTES);
  out.set(bytes.subarray(0, FIXED_HEADER_BYTES));
  out.set(bytes.subarray(r.offset, bytes.length - CHECKSUM_BYTES), FIXED_HEADER_BYTES);
  return out;
}

/**
 * For tests that forge payloads (exported by `@converge/core/testing`): adds the length field and
 * the checksum to `content` (the 12 fixed header bytes, then the rest), as the encoder does, so
 * that a decoder checks everything past them. `unsealPayload`, edit, `sealPayload`: a fuzzer
 * that reaches the decoder's structural checks.
 */
export function sealPayload(content: Uint8Array): Uint8Array {
  if (content.length < FIXED_HEADER_BYTES)
    throw new RangeError(
      `payload content of ${content.length} bytes lacks the ${FIXED_HEADER_BYTES}-byte header`,
    );
  return seal([content]);
}

/** What {@link openPayload} found: the payload's kind and where its content lies. */
export interface PayloadFrame {
  readonly kind: PayloadKind;
  /** Offset of the content after the length field. */
  readonly start: number;
  /** Offset of the checksum (where the content ends). */
  readonly end: number;
}

/**
 * Checks a payload's integrity before anything else: what identifies the format, then the
 * declared length (fewer bytes than it says is a truncation, whatever they hold), then the
 * checksum, then the kind byte.
 *
 * @throws DecodeError (`DECODE_MALFORMED`, `DECODE_TOO_LARGE`, `FORMAT_VERSION`,
 * `DECODE_TRUNCATED`, `DECODE_CHECKSUM`).
 */
export function openPayload(bytes: Uint8Array, limits: DecodeLimits): PayloadFrame {
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
  if (length <= FIXED_HEADER_BYTES)
    throw new DecodeError("DECODE_TRUNCATED", "payload shorter than its header", length);
  const lengthField = new Reader(bytes, FIXED_HEADER_BYTES, length);
  const declared = lengthField.uint();
  const start = lengthField.offset;
  if (declared < start + CHECKSUM_BYTES) {
    throw new DecodeError(
      "DECODE_MALFORMED",
      `declared length ${declared} is shorter than the header and checksum`,
      FIXED_HEADER_BYTES,
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
  const end = declared - CHECKSUM_BYTES;
  if (!checksumMatches(bytes, end)) {
    throw new DecodeError("DECODE_CHECKSUM", "payload checksum does not match its bytes", end);
  }
  const kind = KINDS[bytes[3] as number];
  if (kind === undefined) throw new DecodeError("DECODE_MALFORMED", `unknown payload kind ${bytes[3]}`, 3);
  return { kind, start, end };
}
