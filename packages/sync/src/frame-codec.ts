import { type ReplicaId, type Value, type VersionVector, versionVector } from "@converge/core";
import { bytes8ToHex, Reader, readValue, Writer, writeValue } from "@converge/core/codec";
import { isConvergeError } from "@converge/hlc";
import { SyncError } from "./errors.ts";
import type { Access, Message, RefusalCode, RulesManifest } from "./messages.ts";

/** Limits a decoder checks a frame against. */
export interface FrameLimits {
  /** Largest frame, bytes (default 1 MiB). */
  readonly maxFrameBytes: number;
}

/** Default frame limits: 1 MiB frames. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = Object.freeze({ maxFrameBytes: 1024 * 1024 });

/** Tag bytes of the messages (docs/PROTOCOL.md). */
const TAGS = {
  hello: 1,
  welcome: 2,
  refuse: 3,
  payload: 4,
  chunk: 5,
  ack: 6,
  reject: 7,
  presence: 8,
  ping: 9,
  pong: 10,
  reset: 11,
  compacted: 12,
  batch: 13,
} as const satisfies Record<Message["type"], number>;

const REFUSAL_CODES: ReadonlySet<string> = new Set<RefusalCode>([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "UPGRADE_REQUIRED",
  "CONFIG_MISMATCH",
  "FORMAT_VERSION",
  "UNKNOWN_DOCUMENT",
  "RATE_LIMITED",
  "FRAME_TOO_LARGE",
  "FRAME_MALFORMED",
  "PAYLOAD_REFUSED",
]);

/** Short strings of a frame (names, codes, ids) are at most this many bytes. */
const MAX_NAME = 4096;
/** Value of a lowercase hex digit by char code, -1 for anything else. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) DIGIT["0123456789abcdef".charCodeAt(i)] = i;

/**
 * How one field type of docs/PROTOCOL.md is written and read. `max` is the frame's size, the
 * bound of a field that may be as long as the frame (payloads, messages, values).
 */
interface Field<T> {
  write(w: Writer, value: T): void;
  read(r: Reader, max: number): T;
}

const uint: Field<number> = { write: (w, n) => w.uint(n), read: (r) => r.uint() };
const bytes: Field<Uint8Array> = { write: (w, b) => w.bytes(b), read: (r, max) => r.bytes(max) };
/** A string as long as the frame. */
const text: Field<string> = { write: (w, s) => w.string(s), read: (r, max) => r.string(max) };
/** A short string: a name, an id. */
const name: Field<string> = { write: (w, s) => w.string(s), read: (r) => r.string(MAX_NAME) };
/** A reject's code: any short code, a refusal's or a converge error's. */
const code: Field<string> = { write: (w, s) => w.string(s), read: (r) => r.string(64) };
/** A refuse's code: one of the refusal codes. */
const refusalCode: Field<RefusalCode> = {
  write: (w, s) => w.string(s),
  read: (r) => {
    const c = r.string(64);
    if (!REFUSAL_CODES.has(c)) r.fail(`unknown refusal code ${c}`);
    return c as RefusalCode;
  },
};
const value: Field<Value> = {
  write: writeValue,
  read: (r, max) => readValue(r, { maxStringBytes: max }),
};
/** A byte, 0 or 1. */
const flag: Field<boolean> = {
  write: (w, b) => w.byte(b ? 1 : 0),
  read: (r) => {
    const b = r.byte();
    if (b > 1) r.fail(`bad flag ${b}`);
    return b === 1;
  },
};

/** `opt<T>`: a byte 0 (absent, read as `absent`) or 1 followed by the field. */
function optional<T, A extends null | undefined>(field: Field<T>, absent: A): Field<T | A> {
  return {
    write: (w, v) => {
      if (v === null || v === undefined) w.byte(0);
      else {
        w.byte(1);
        field.write(w, v);
      }
    },
    read: (r, max) => {
      const present = r.byte();
      if (present === 0) return absent;
      if (present !== 1) r.fail(`bad presence flag ${present}`);
      return field.read(r, max);
    },
  };
}

/** `uint n` × the field, each at least one byte. */
function list<T>(field: Field<T>, what: string): Field<readonly T[]> {
  return {
    write: (w, items) => {
      w.uint(items.length);
      for (const item of items) field.write(w, item);
    },
    read: (r, max) => {
      const n = r.count(1, what);
      const items: T[] = [];
      for (let i = 0; i < n; i++) items.push(field.read(r, max));
      return items;
    },
  };
}

function writeId8(w: Writer, hex: string): void {
  let ok = hex.length === 16;
  for (let i = 0; ok && i < 8; i++) {
    const hi = DIGIT[hex.charCodeAt(i * 2)] ?? -1;
    const lo = DIGIT[hex.charCodeAt(i * 2 + 1)] ?? -1;
    if (hi < 0 || lo < 0) ok = false;
    else w.byte((hi << 4) | lo);
  }
  if (!ok) throw new SyncError("FRAME_MALFORMED", `not 16 lowercase hex digits: ${hex}`);
}

function readId8(r: Reader): string {
  return bytes8ToHex(r.raw(8));
}

const id8: Field<string> = { write: writeId8, read: readId8 };

const vector: Field<VersionVector> = {
  write: (w, v) => {
    const entries = v.entries();
    w.uint(entries.length);
    for (const [replica, seq] of entries) {
      writeId8(w, replica);
      w.uint(seq);
    }
  },
  read: (r) => {
    const n = r.count(9, "vector entry");
    const pairs: [ReplicaId, number][] = [];
    let last = "";
    for (let i = 0; i < n; i++) {
      const replica = readId8(r);
      if (!(replica > last)) r.fail("vector entries not in increasing replica order");
      last = replica;
      const seq = r.uint();
      if (seq < 1) r.fail("vector entry with seq 0");
      pairs.push([replica, seq]);
    }
    return versionVector(pairs);
  },
};

const patterns = list(name, "key pattern");
const access: Field<Access> = {
  write: (w, a) => {
    if (a.mode === "none") w.byte(0);
    else if (a.mode === "read") w.byte(1);
    else if (a.keys === undefined) w.byte(2);
    else {
      w.byte(3);
      patterns.write(w, a.keys);
    }
  },
  read: (r, max) => {
    const mode = r.byte();
    if (mode === 0) return { mode: "none" };
    if (mode === 1) return { mode: "read" };
    if (mode === 2) return { mode: "write" };
    if (mode !== 3) r.fail(`unknown access mode ${mode}`);
    return { mode: "write", keys: patterns.read(r, max) };
  },
};

const manifest: Field<RulesManifest> = {
  write: (w, m) => {
    writeId8(w, m.fingerprint);
    writeValue(w, m.rules);
    const scripts = Object.entries(m.scripts).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    w.uint(scripts.length);
    for (const [hash, source] of scripts) {
      w.string(hash);
      w.string(source);
    }
  },
  read: (r, max) => {
    const fingerprint = readId8(r);
    const rules = value.read(r, max);
    const n = r.count(2, "script");
    const scripts: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const hash = r.string(MAX_NAME);
      if (Object.hasOwn(scripts, hash)) r.fail(`script ${hash} listed twice`);
      Object.defineProperty(scripts, hash, { value: r.string(max), enumerable: true });
    }
    return { fingerprint, rules, scripts };
  },
};

/** A batch's frames: at least two, none empty, none a batch. */
const frames: Field<readonly Uint8Array[]> = {
  write: (w, fs) => {
    if (fs.length < 2) throw new SyncError("FRAME_MALFORMED", "a batch holds at least two frames");
    w.uint(fs.length);
    for (const f of fs) {
      if (f[0] === TAGS.batch) throw new SyncError("FRAME_MALFORMED", "a batch inside a batch");
      w.bytes(f);
    }
  },
  read: (r, max) => {
    const n = r.count(2, "batched frame");
    if (n < 2) r.fail("a batch holds at least two frames");
    const fs: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const f = r.bytes(max);
      if (f.length === 0) r.fail("an empty frame in a batch");
      if (f[0] === TAGS.batch) r.fail("a batch inside a batch");
      fs.push(f);
    }
    return fs;
  },
};

/** The fields of message `M`, in wire order: the order of the keys (docs/PROTOCOL.md's table). */
type Fields<M> = { readonly [K in Exclude<keyof M, "type">]-?: Field<M[K]> };

const MESSAGES: { readonly [T in Message["type"]]: Fields<Extract<Message, { type: T }>> } = {
  hello: {
    protocol: uint,
    format: uint,
    document: name,
    replica: id8,
    fingerprint: optional(id8, null),
    vector,
    credentials: optional(text, null),
  },
  welcome: { fingerprint: id8, manifest: optional(manifest, null), vector, access, client: name },
  // An absent expected or received is left out of the decoded message.
  refuse: {
    code: refusalCode,
    message: text,
    expected: optional(name, undefined),
    received: optional(name, undefined),
  },
  payload: { payload: bytes },
  chunk: { id: uint, last: flag, bytes },
  ack: { vector },
  reject: { code, message: text, keys: list(text, "key") },
  presence: { client: name, state: optional(value, null) },
  ping: { nonce: uint },
  pong: { nonce: uint },
  reset: { floor: vector },
  compacted: { floor: vector },
  batch: { frames },
};

/**
 * Each tag's message type and fields in order. The fields are typed loosely here: `MESSAGES`'s
 * type checks each against its message, and a message is only ever paired with its own fields.
 */
const BY_TAG: [Message["type"], [string, Field<unknown>][]][] = [];
for (const [type, tag] of Object.entries(TAGS) as [Message["type"], number][])
  BY_TAG[tag] = [type, Object.entries(MESSAGES[type]) as [string, Field<unknown>][]];

/**
 * Encodes one message as a frame: a tag byte, then the message's fields (docs/PROTOCOL.md).
 * Deterministic: equal messages give equal bytes.
 *
 * @throws SyncError (`FRAME_MALFORMED`) for a message that cannot be encoded (a replica id or
 *   fingerprint that is not 16 hex digits, a value that is not a `Value`).
 */
export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer(64);
  try {
    const tag = TAGS[m.type];
    w.byte(tag);
    const fields = m as unknown as Readonly<Record<string, unknown>>;
    for (const [key, field] of BY_TAG[tag]?.[1] ?? []) field.write(w, fields[key]);
  } catch (e) {
    if (isConvergeError(e, "FRAME_MALFORMED")) throw e;
    throw new SyncError("FRAME_MALFORMED", `cannot encode a ${m.type} message: ${String(e)}`, { cause: e });
  }
  return w.finish();
}

/**
 * Decodes one frame. Trusts nothing: every count is checked against the bytes left, strings
 * against the frame size, codes against the known ones, and the frame must end exactly where
 * its last field does.
 *
 * @throws SyncError (`FRAME_MALFORMED`) for anything malformed, truncated, oversized, with an
 *   unknown tag or trailing bytes — never another exception.
 */
export function decodeMessage(bytes: Uint8Array, limits: FrameLimits = DEFAULT_FRAME_LIMITS): Message {
  if (!(bytes instanceof Uint8Array)) throw new SyncError("FRAME_MALFORMED", "a frame is a Uint8Array");
  if (bytes.length > limits.maxFrameBytes)
    throw new SyncError(
      "FRAME_MALFORMED",
      `frame of ${bytes.length} bytes exceeds the limit of ${limits.maxFrameBytes}`,
    );
  const r = new Reader(bytes);
  const max = bytes.length;
  try {
    const tag = r.byte();
    const known = BY_TAG[tag];
    if (known === undefined) return r.fail(`unknown message tag ${tag}`);
    const m: Record<string, unknown> = { type: known[0] };
    for (const [key, field] of known[1]) {
      const v = field.read(r, max);
      if (v !== undefined) m[key] = v;
    }
    r.done();
    return m as unknown as Message;
  } catch (e) {
    if (isConvergeError(e, "FRAME_MALFORMED")) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new SyncError("FRAME_MALFORMED", `malformed frame: ${why}`, { cause: e });
  }
}

/**
 * Decodes one frame into the messages it carries, in order: a `batch` unpacked (all of it
 * decoded before anything is returned), any other message alone.
 *
 * @throws SyncError (`FRAME_MALFORMED`) as {@link decodeMessage}, for the frame or any frame inside.
 */
export function decodeFrames(bytes: Uint8Array, limits: FrameLimits = DEFAULT_FRAME_LIMITS): Message[] {
  const m = decodeMessage(bytes, limits);
  return m.type === "batch" ? m.frames.map((f) => decodeMessage(f, limits)) : [m];
}

/** Encodes a version vector (for {@link PeerRecord.vector}): a count, then (8-byte replica, seq) pairs. */
export function encodeVersionVector(v: VersionVector): Uint8Array {
  const w = new Writer(16);
  vector.write(w, v);
  return w.finish();
}

/** Decodes {@link encodeVersionVector}'s bytes. @throws SyncError (`FRAME_MALFORMED`). */
export function decodeVersionVector(bytes: Uint8Array): VersionVector {
  const r = new Reader(bytes);
  try {
    const v = vector.read(r, bytes.length);
    r.done();
    return v;
  } catch (e) {
    throw new SyncError("FRAME_MALFORMED", `malformed version vector: ${String(e)}`, { cause: e });
  }
}
