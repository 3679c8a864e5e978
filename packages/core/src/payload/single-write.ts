// The single-write op (kind 4): one register write in the compact layout, both ways (docs/FORMAT.md).
import { MAX_COUNTER, MAX_WALL } from "@converge/hlc";
import { SHORT_CHECKSUM_BYTES, writeShortChecksum } from "../checksum.ts";
import { DecodeError, ResolverMismatchError } from "../errors.ts";
import { type AnyResolver, type KeyRules, resolverName } from "../key-rules.ts";
import { Reader, utf8String } from "../reader.ts";
import { isRegister } from "../register/register-resolver.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import type { DecodeLimits } from "../state-codec.ts";
import { readValue, Tag, type Value, writeValue } from "../value.ts";
import type { ReplicaId } from "../version-vector.ts";
import { MAX_ZIGZAG, utf8, Writer } from "../writer.ts";
import {
  FORMAT_VERSION,
  MAGIC_0,
  MAGIC_1,
  MAX_SINGLE_WRITE_BYTES,
  SINGLE_WRITE_HEADER_BYTES,
  SINGLE_WRITE_KIND,
} from "./format.ts";
import { type PayloadFrame, putUint, setUintEnd, uintAt, uintEnd } from "./header.ts";
import { hexToBytes8 } from "./keys.ts";

/** Where the fields start when the length takes one byte (an op shorter than 128 bytes). */
const BODY = SINGLE_WRITE_HEADER_BYTES + 1;
/**
 * The encoder's scratch: every single-write op is built here in its final layout (moved one byte
 * on when its length takes two), then copied out at its size.
 */
const scratch = new Uint8Array(MAX_SINGLE_WRITE_BYTES + 1);
scratch.set([MAGIC_0, MAGIC_1, FORMAT_VERSION, SINGLE_WRITE_KIND]);

/** The replica id whose 8 bytes {@link lastIdBytes} hold (a writer sends under one id). */
let lastId = "";
const lastIdBytes = new Uint8Array(8);

/**
 * Writes `value` at `at` (the `Value` encoding of docs/FORMAT.md); returns the offset after it,
 * or -1 when it would pass `limit`. Integers are written in place, anything else through a
 * {@link Writer}.
 */
function putValue(buf: Uint8Array, at: number, value: Value, limit: number): number {
  if (
    typeof value === "number" &&
    Number.isInteger(value) &&
    Math.abs(value) <= MAX_ZIGZAG &&
    !Object.is(value, -0)
  ) {
    buf[at] = Tag.Int;
    return putUint(buf, at + 1, value >= 0 ? value * 2 : -value * 2 - 1);
  }
  if ((typeof value === "string" || value instanceof Uint8Array) && value.length > limit) return -1;
  const w = new Writer(64);
  writeValue(w, value);
  const bytes = w.finish();
  if (at + bytes.length > limit) return -1;
  buf.set(bytes, at);
  return at + bytes.length;
}

/**
 * The single-write op of one register write — the lone value (`replica`, `seq`, `wall`,
 * `counter`, `value`) written to `key`, and nothing else on the key — or `undefined` when it
 * would be longer than {@link MAX_SINGLE_WRITE_BYTES} (then the general op layout carries it).
 * Its checksum covers `fingerprint`, the writer's key-rule fingerprint, which it does not carry.
 */
export function encodeSingleWrite(
  fingerprint: Uint8Array,
  key: string,
  replica: ReplicaId,
  seq: number,
  wall: number,
  counter: number,
  value: Value,
): Uint8Array | undefined {
  const buf = scratch;
  // The body may fill what a two-byte length and the checksum leave of the 1024 bytes.
  const limit = MAX_SINGLE_WRITE_BYTES - 1 - SHORT_CHECKSUM_BYTES;
  if (replica !== lastId) {
    hexToBytes8(replica, lastIdBytes);
    lastId = replica;
  }
  let p = BODY;
  for (let i = 0; i < 8; i++) buf[p++] = lastIdBytes[i] as number;
  p = putUint(buf, p, seq);
  p = putUint(buf, p, wall);
  p = putUint(buf, p, counter);
  p = putValue(buf, p, value, limit);
  if (p < 0) return undefined;
  const n = key.length;
  if (p + n > limit) return undefined;
  let i = 0;
  for (; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p + i] = c;
  }
  if (i === n) p += n;
  else {
    const bytes = utf8.encode(key);
    if (p + bytes.length > limit) return undefined;
    buf.set(bytes, p);
    p += bytes.length;
  }
  // The length counts itself: one byte below 128 in all, else two (the fields move on by one).
  let total = p + SHORT_CHECKSUM_BYTES;
  if (total >= 0x80) {
    total++;
    buf.copyWithin(BODY + 1, BODY, p);
    p++;
  }
  putUint(buf, SINGLE_WRITE_HEADER_BYTES, total);
  writeShortChecksum(buf, p, fingerprint);
  return buf.slice(0, total);
}

/** A decoded single-write op: the write's dot, time and value, and its key. */
export interface SingleWrite {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly value: Value;
  readonly key: string;
}

function malformed(message: string, at: number): never {
  throw new DecodeError("DECODE_MALFORMED", message, at);
}

/** Reads the value at `at` exactly as {@link readValue} would; its end goes to `uintEnd`. */
function valueAt(bytes: Uint8Array, at: number, end: number, limits: DecodeLimits): Value {
  if (at < end && bytes[at] === Tag.Int) {
    const z = uintAt(bytes, at + 1, end);
    const v = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (Math.abs(v) > MAX_ZIGZAG) malformed("integer beyond 2^52 - 1 encoded as an int", uintEnd);
    return v;
  }
  const r = new Reader(bytes, at, end);
  const v = readValue(r, limits);
  setUintEnd(r.offset);
  return v;
}

/** The key: UTF-8 bytes `[at, end)`. */
function keyAt(bytes: Uint8Array, at: number, end: number, limits: DecodeLimits): string {
  if (end - at > limits.maxKeyBytes)
    malformed(`key of ${end - at} bytes exceeds the limit ${limits.maxKeyBytes}`, at);
  return utf8String(bytes, at, end) ?? malformed("key is not valid UTF-8", at);
}

/**
 * Decodes the fields of the single-write op `bytes`, whose frame {@link openPayload} has checked
 * (`frame.single`). Trusts nothing past the frame: every field is bounds-checked and canonical.
 * `intern` gives the replica id the reading replica holds for the writer's.
 *
 * @throws DecodeError (`DECODE_MALFORMED`, `DECODE_TRUNCATED`).
 */
export function readSingleWrite(
  bytes: Uint8Array,
  frame: PayloadFrame,
  limits: DecodeLimits,
  intern: ReplicaInterner,
): SingleWrite {
  const end = frame.end;
  let at = frame.start;
  if (end - at < 8) throw new DecodeError("DECODE_TRUNCATED", "payload ends inside 8 raw bytes", at);
  const replica = intern(bytes, at);
  at += 8;
  const seq = uintAt(bytes, at, end);
  if (seq === 0 || seq > MAX_ZIGZAG) malformed("sequence number out of range", uintEnd);
  const wall = uintAt(bytes, uintEnd, end);
  if (wall > MAX_WALL) malformed(`wall time ${wall} out of range`, uintEnd);
  const counter = uintAt(bytes, uintEnd, end);
  if (counter > MAX_COUNTER) malformed(`HLC counter ${counter} out of range`, uintEnd);
  const value = valueAt(bytes, uintEnd, end, limits);
  const key = keyAt(bytes, uintEnd, end, limits);
  return { replica, seq, wall, counter, value, key };
}

/**
 * The resolver `rules` give the key of a single-write op, which must be a register (the only
 * states the layout carries).
 *
 * @throws ResolverMismatchError (`RESOLVER_MISMATCH`).
 */
export function singleWriteResolver(rules: KeyRules, key: string): AnyResolver {
  const resolver = rules.resolverFor(key);
  if (resolver === lastRegister) return resolver;
  if (!isRegister(resolver)) {
    throw new ResolverMismatchError(
      "RESOLVER_MISMATCH",
      `key ${JSON.stringify(key)} is governed by ${resolverName(resolver)} here, not a register: a single-write op cannot be for it`,
    );
  }
  lastRegister = resolver;
  return resolver;
}

/** The register {@link singleWriteResolver} found last (ops come in runs of one resolver). */
let lastRegister: AnyResolver | undefined;
