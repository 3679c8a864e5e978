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

function writeVector(w: Writer, v: VersionVector): void {
  const entries = v.entries();
  w.uint(entries.length);
  for (const [replica, seq] of entries) {
    writeId8(w, replica);
    w.uint(seq);
  }
}

function readVector(r: Reader): VersionVector {
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
}

function writeOptString(w: Writer, s: string | null | undefined): void {
  if (s === null || s === undefined) w.byte(0);
  else {
    w.byte(1);
    w.string(s);
  }
}

function readOptString(r: Reader, max: number): string | null {
  const flag = r.byte();
  if (flag === 0) return null;
  if (flag !== 1) r.fail(`bad presence flag ${flag}`);
  return r.string(max);
}

function writeAccess(w: Writer, a: Access): void {
  if (a.mode === "none") w.byte(0);
  else if (a.mode === "read") w.byte(1);
  else if (a.keys === undefined) w.byte(2);
  else {
    w.byte(3);
    w.uint(a.keys.length);
    for (const k of a.keys) w.string(k);
  }
}

function readAccess(r: Reader, max: number): Access {
  const mode = r.byte();
  if (mode === 0) return { mode: "none" };
  if (mode === 1) return { mode: "read" };
  if (mode === 2) return { mode: "write" };
  if (mode !== 3) r.fail(`unknown access mode ${mode}`);
  const n = r.count(1, "key pattern");
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(r.string(max));
  return { mode: "write", keys };
}

function writeManifest(w: Writer, m: RulesManifest | null): void {
  if (m === null) {
    w.byte(0);
    return;
  }
  w.byte(1);
  writeId8(w, m.fingerprint);
  writeValue(w, m.rules);
  const scripts = Object.entries(m.scripts).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  w.uint(scripts.length);
  for (const [hash, source] of scripts) {
    w.string(hash);
    w.string(source);
  }
}

function readManifest(r: Reader, max: number): RulesManifest | null {
  const flag = r.byte();
  if (flag === 0) return null;
  if (flag !== 1) r.fail(`bad manifest flag ${flag}`);
  const fingerprint = readId8(r);
  const rules = readValue(r, { maxStringBytes: max });
  const n = r.count(2, "script");
  const scripts: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const hash = r.string(MAX_NAME);
    if (Object.hasOwn(scripts, hash)) r.fail(`script ${hash} listed twice`);
    Object.defineProperty(scripts, hash, { value: r.string(max), enumerable: true });
  }
  return { fingerprint, rules, scripts };
}

function readCode(r: Reader): RefusalCode {
  const code = r.string(64);
  if (!REFUSAL_CODES.has(code)) r.fail(`unknown refusal code ${code}`);
  return code as RefusalCode;
}

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
    w.byte(TAGS[m.type]);
    switch (m.type) {
      case "hello":
        w.uint(m.protocol);
        w.uint(m.format);
        w.string(m.document);
        writeId8(w, m.replica);
        if (m.fingerprint === null) w.byte(0);
        else {
          w.byte(1);
          writeId8(w, m.fingerprint);
        }
        writeVector(w, m.vector);
        writeOptString(w, m.credentials);
        break;
      case "welcome":
        writeId8(w, m.fingerprint);
        writeManifest(w, m.manifest);
        writeVector(w, m.vector);
        writeAccess(w, m.access);
        w.string(m.client);
        break;
      case "refuse":
        w.string(m.code);
        w.string(m.message);
        writeOptString(w, m.expected);
        writeOptString(w, m.received);
        break;
      case "payload":
        w.bytes(m.payload);
        break;
      case "chunk":
        w.uint(m.id);
        w.byte(m.last ? 1 : 0);
        w.bytes(m.bytes);
        break;
      case "ack":
        writeVector(w, m.vector);
        break;
      case "reject":
        w.string(m.code);
        w.string(m.message);
        w.uint(m.keys.length);
        for (const k of m.keys) w.string(k);
        break;
      case "presence":
        w.string(m.client);
        if (m.state === null) w.byte(0);
        else {
          w.byte(1);
          writeValue(w, m.state);
        }
        break;
      case "ping":
      case "pong":
        w.uint(m.nonce);
        break;
      case "reset":
      case "compacted":
        writeVector(w, m.floor);
        break;
      case "batch":
        if (m.frames.length < 2) throw new SyncError("FRAME_MALFORMED", "a batch holds at least two frames");
        w.uint(m.frames.length);
        for (const f of m.frames) {
          if (f[0] === TAGS.batch) throw new SyncError("FRAME_MALFORMED", "a batch inside a batch");
          w.bytes(f);
        }
        break;
    }
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
    const m = readBody(r, max);
    r.done();
    return m;
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

function readBody(r: Reader, max: number): Message {
  const tag = r.byte();
  switch (tag) {
    case TAGS.hello: {
      const protocol = r.uint();
      const format = r.uint();
      const document = r.string(MAX_NAME);
      const replica = readId8(r);
      const flag = r.byte();
      if (flag > 1) r.fail(`bad fingerprint flag ${flag}`);
      const fingerprint = flag === 1 ? readId8(r) : null;
      const vector = readVector(r);
      const credentials = readOptString(r, max);
      return { type: "hello", protocol, format, document, replica, fingerprint, vector, credentials };
    }
    case TAGS.welcome: {
      const fingerprint = readId8(r);
      const manifest = readManifest(r, max);
      const vector = readVector(r);
      const access = readAccess(r, MAX_NAME);
      const client = r.string(MAX_NAME);
      return { type: "welcome", fingerprint, manifest, vector, access, client };
    }
    case TAGS.refuse: {
      const code = readCode(r);
      const message = r.string(max);
      const expected = readOptString(r, MAX_NAME);
      const received = readOptString(r, MAX_NAME);
      return {
        type: "refuse",
        code,
        message,
        ...(expected === null ? {} : { expected }),
        ...(received === null ? {} : { received }),
      };
    }
    case TAGS.payload:
      return { type: "payload", payload: r.bytes(max) };
    case TAGS.chunk: {
      const id = r.uint();
      const last = r.byte();
      if (last > 1) r.fail(`bad last flag ${last}`);
      return { type: "chunk", id, last: last === 1, bytes: r.bytes(max) };
    }
    case TAGS.ack:
      return { type: "ack", vector: readVector(r) };
    case TAGS.reject: {
      const code = r.string(64);
      const message = r.string(max);
      const n = r.count(1, "key");
      const keys: string[] = [];
      for (let i = 0; i < n; i++) keys.push(r.string(max));
      return { type: "reject", code, message, keys };
    }
    case TAGS.presence: {
      const client = r.string(MAX_NAME);
      const flag = r.byte();
      if (flag > 1) r.fail(`bad presence flag ${flag}`);
      const state: Value | null = flag === 1 ? readValue(r, { maxStringBytes: max }) : null;
      return { type: "presence", client, state };
    }
    case TAGS.ping:
      return { type: "ping", nonce: r.uint() };
    case TAGS.pong:
      return { type: "pong", nonce: r.uint() };
    case TAGS.reset:
      return { type: "reset", floor: readVector(r) };
    case TAGS.compacted:
      return { type: "compacted", floor: readVector(r) };
    case TAGS.batch: {
      const n = r.count(2, "batched frame");
      if (n < 2) r.fail("a batch holds at least two frames");
      const frames: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const f = r.bytes(max);
        if (f.length === 0) r.fail("an empty frame in a batch");
        if (f[0] === TAGS.batch) r.fail("a batch inside a batch");
        frames.push(f);
      }
      return { type: "batch", frames };
    }
    default:
      return r.fail(`unknown message tag ${tag}`);
  }
}

/** Encodes a version vector (for {@link PeerRecord.vector}): a count, then (8-byte replica, seq) pairs. */
export function encodeVersionVector(v: VersionVector): Uint8Array {
  const w = new Writer(16);
  writeVector(w, v);
  return w.finish();
}

/** Decodes {@link encodeVersionVector}'s bytes. @throws SyncError (`FRAME_MALFORMED`). */
export function decodeVersionVector(bytes: Uint8Array): VersionVector {
  const r = new Reader(bytes);
  try {
    const v = readVector(r);
    r.done();
    return v;
  } catch (e) {
    throw new SyncError("FRAME_MALFORMED", `malformed version vector: ${String(e)}`, { cause: e });
  }
}
