import { CausalContext } from "./causal-context.ts";
import { CHECKSUM_BYTES, checksumMatches, writeChecksum } from "./checksum.ts";
import { DecodeError, ResolverMismatchError } from "./errors.ts";
import { type AnyResolver, configMismatch, type KeyRules, resolverName } from "./key-rules.ts";
import type { KeyMatcher } from "./key-store.ts";
import { Reader } from "./reader.ts";
import { isRegister } from "./register.ts";
import { keepShape } from "./shape-keeper.ts";
import { SiblingColumns } from "./sibling-columns.ts";
import { type DecodeLimits, StateReader, StateWriter } from "./state-codec.ts";
import { type ReplicaId, VersionVector } from "./version-vector.ts";
import { Writer } from "./writer.ts";

/** Version of the binary format written by this package (see docs/FORMAT.md). */
export const FORMAT_VERSION = 2;

/** What a payload carries: a full state, a delta since a version vector, or one operation. */
export type PayloadKind = "state" | "delta" | "op";

const KIND_CODES: Record<PayloadKind, number> = { state: 1, delta: 2, op: 3 };
const KINDS: readonly (PayloadKind | undefined)[] = [undefined, "state", "delta", "op"];
const MAGIC_0 = 0x43; // "C"
const MAGIC_1 = 0x56; // "V"
/** Magic, version, kind and fingerprint; the total length follows. */
const FIXED_HEADER_BYTES = 12;

/** What a released decoder holds instead of the replica's key rules. */
const RELEASED_RULES: KeyRules = {
  resolverFor: () => {
    throw new Error("a released payload decoder decodes nothing");
  },
  resolvers: new Map(),
  fingerprint: new Uint8Array(8),
  canonical: "",
};

/** One key's entry in a payload. */
export interface PayloadEntry {
  readonly key: string;
  readonly resolver: AnyResolver;
  readonly state: unknown;
}

function hexToBytes8(id: ReplicaId, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) out[i] = Number.parseInt(id.slice(i * 2, i * 2 + 2), 16);
}

function bytes8ToHex(bytes: Uint8Array): ReplicaId {
  let s = "";
  for (let i = 0; i < 8; i++) s += (bytes[i] as number).toString(16).padStart(2, "0");
  return s;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `key`, into `scratch` when it is ASCII and fits (no allocation), else a new array. */
function keyBytes(key: string, scratch: Uint8Array): Uint8Array {
  const n = key.length;
  if (n <= scratch.length) {
    let i = 0;
    for (; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      scratch[i] = c;
    }
    if (i === n) return scratch.subarray(0, n);
  }
  return utf8.encode(key);
}

/**
 * Encodes a payload. `entries` must be sorted by key (JavaScript string order) without duplicates.
 */
export function encodePayload(
  kind: PayloadKind,
  fingerprint: Uint8Array,
  context: CausalContext,
  entries: readonly PayloadEntry[],
  since?: VersionVector,
): Uint8Array {
  const replicaIndex = new Map<ReplicaId, number>();
  const table: ReplicaId[] = [];
  const resolverIndex = new Map<AnyResolver, number>();
  const resolvers: AnyResolver[] = [];

  const ctx = new StateWriter(replicaIndex, table, 64);
  context.encode(ctx);
  if (kind === "delta") {
    const base = (since ?? VersionVector.empty).entries();
    ctx.uint(base.length);
    for (const [r, seq] of base) {
      ctx.replica(r);
      ctx.uint(seq);
    }
  }

  const body = new StateWriter(replicaIndex, table, 64 + entries.length * 24);
  body.uint(entries.length);
  let prev: Uint8Array = new Uint8Array(0);
  let scratchA = new Uint8Array(256);
  let scratchB = new Uint8Array(256);
  for (const e of entries) {
    // Front coding on UTF-8 bytes: the length shared with the previous key, then the rest.
    const bytes = keyBytes(e.key, scratchA);
    const n = Math.min(prev.length, bytes.length);
    let p = 0;
    while (p < n && prev[p] === bytes[p]) p++;
    body.uint(p);
    body.bytes(bytes.subarray(p));
    prev = bytes;
    if (bytes.buffer === scratchA.buffer) [scratchA, scratchB] = [scratchB, scratchA];
    let ri = resolverIndex.get(e.resolver);
    if (ri === undefined) {
      ri = resolvers.length;
      resolverIndex.set(e.resolver, ri);
      resolvers.push(e.resolver);
    }
    body.uint(ri);
    e.resolver.encode(e.state, body);
  }

  const head = new Writer(FIXED_HEADER_BYTES);
  head.raw(new Uint8Array([MAGIC_0, MAGIC_1, FORMAT_VERSION, KIND_CODES[kind]]));
  head.raw(fingerprint);
  const tables = new Writer(64 + table.length * 9);
  tables.uint(resolvers.length);
  for (const r of resolvers) {
    tables.string(r.id);
    tables.uint(r.version);
  }
  tables.uint(table.length);
  const id = new Uint8Array(8);
  for (const r of table) {
    hexToBytes8(r, id);
    tables.raw(id);
  }
  return seal([head.finish(), tables.finish(), ctx.finish(), body.finish()]);
}

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
function seal(parts: readonly Uint8Array[]): Uint8Array {
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

/**
 * Node's native one-byte string constructor when present (`Buffer.prototype.latin1Slice`): builds
 * an ASCII key straight from the bytes, without intermediate views. Elsewhere, TextDecoder.
 */
const latin1Slice: ((this: Uint8Array, start: number, end: number) => string) | undefined = (
  globalThis as {
    Buffer?: { prototype: { latin1Slice?: (this: Uint8Array, start: number, end: number) => string } };
  }
).Buffer?.prototype.latin1Slice;

/** Decodes a key's UTF-8 bytes into a flat string. */
function decodeKey(buf: Uint8Array, length: number, r: StateReader): string {
  let ascii = true;
  for (let i = 0; i < length; i++) {
    if ((buf[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && latin1Slice !== undefined) return latin1Slice.call(buf, 0, length);
  try {
    return utf8Decoder.decode(buf.subarray(0, length));
  } catch {
    return r.fail("key is not valid UTF-8");
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

/** Largest HLC time found in a payload; `wall` is -1 when it holds none. */
export interface MaxTime {
  readonly wall: number;
  readonly counter: number;
  readonly node: ReplicaId;
}

/**
 * Decodes a payload in steps (so a large one can be decoded in chunks): the constructor reads
 * and checks the header, tables and context; {@link PayloadDecoder.next} decodes entries. Nothing
 * is trusted; every error is a {@link DecodeError} or a {@link ResolverMismatchError}.
 */
export class PayloadDecoder {
  readonly kind: PayloadKind;
  /** The payload's causal context (emptied by {@link PayloadDecoder.release}). */
  context: CausalContext;
  /** For a delta: the version vector it was computed since. */
  since: VersionVector;
  readonly total: number;
  /** Decoded keys (allocated for {@link PayloadDecoder.total} entries; complete once {@link PayloadDecoder.done}). */
  readonly keys: string[];
  /** Decoded states of the entries not in the lone columns (allocated on the first such entry). */
  #states: unknown[] | undefined;
  /** The payload's replica table (what the replica column of {@link PayloadDecoder.lone} indexes). */
  replicaTable: readonly ReplicaId[];
  /** Lone register values, by entry index (see {@link PayloadDecoder.isLone}); sized on the first. */
  lone: SiblingColumns = new SiblingColumns(0);
  /** The payload's only resolver, when its table lists one; else each entry's, in `#resolvers`. */
  #only: AnyResolver | undefined;
  #resolvers: AnyResolver[] = [];
  /** Entries decoded so far. */
  #count = 0;
  readonly #reader: StateReader;
  #rules: KeyRules;
  readonly #payloadResolvers: AnyResolver[] = [];
  #prev = "";
  /** Resolver-table entries referenced so far (the table lists resolvers in order of first use). */
  #usedCount = 0;
  #keyBuf: Uint8Array = new Uint8Array(256);
  #prevLen = 0;

  constructor(
    bytes: Uint8Array,
    rules: KeyRules,
    limits: DecodeLimits,
    intern: (id: ReplicaId) => ReplicaId,
  ) {
    if (!(bytes instanceof Uint8Array))
      throw new DecodeError("DECODE_MALFORMED", "payload is not a Uint8Array", 0);
    if (bytes.length > limits.maxPayloadBytes) {
      throw new DecodeError(
        "DECODE_TOO_LARGE",
        `payload of ${bytes.length} bytes exceeds the limit of ${limits.maxPayloadBytes}`,
        0,
      );
    }
    // Integrity before anything else: what identifies the format, then the declared length
    // (fewer bytes than it says is a truncation, whatever they hold), then the checksum.
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
    this.kind = kind;
    this.#rules = rules;
    // Tables first: the resolver table names what the payload was written with.
    const table: ReplicaId[] = [];
    const r = new StateReader(bytes, start, end, table, limits);
    const nr = r.count(2, "resolver");
    for (let i = 0; i < nr; i++) {
      const id = r.string(256);
      const version = r.uint();
      const mine = [...rules.resolvers.values()].filter((x) => x.id === id);
      const match = mine.find((x) => x.version === version);
      if (match === undefined) {
        if (mine.length === 0) {
          throw new ResolverMismatchError(
            "UNKNOWN_RESOLVER",
            `payload uses resolver ${id}@${version}, unknown here`,
          );
        }
        throw new ResolverMismatchError(
          "RESOLVER_VERSION",
          `payload uses resolver ${id}@${version}; this replica has ${mine.map(resolverName).join(", ")}`,
        );
      }
      if (this.#payloadResolvers.includes(match)) r.fail(`resolver ${id}@${version} listed twice`);
      this.#payloadResolvers.push(match);
    }
    const fp = bytes.subarray(4, FIXED_HEADER_BYTES);
    if (fp.some((b, i) => b !== rules.fingerprint[i])) {
      throw configMismatch(rules, fp, this.#payloadResolvers);
    }
    const nt = r.count(8, "replica");
    const seen = new Set<ReplicaId>();
    for (let i = 0; i < nt; i++) {
      const id = intern(bytes8ToHex(r.raw(8)));
      if (seen.has(id)) r.fail(`replica ${id} listed twice`);
      seen.add(id);
      table.push(id);
    }
    this.context = CausalContext.decode(r);
    const since = new Map<ReplicaId, number>();
    if (kind === "delta") {
      const n = r.count(2, "since entry");
      let last = "";
      for (let i = 0; i < n; i++) {
        const replica = r.replica();
        if (!(replica > last)) r.fail("since vector not sorted by replica");
        last = replica;
        since.set(replica, r.seq());
      }
    }
    this.since = new VersionVector(since);
    this.total = r.count(3, "entry");
    if (this.total > limits.maxEntries) {
      throw new DecodeError(
        "DECODE_TOO_LARGE",
        `${this.total} entries exceed the limit of ${limits.maxEntries}`,
        r.offset,
      );
    }
    if (kind === "op" && this.total === 0) r.fail("an op payload holds at least one entry");
    // Sized up front (the count is bounded by the bytes left): filling by index is several times
    // cheaper than growing by push at a million entries.
    this.keys = new Array(this.total);
    this.#only = this.#payloadResolvers.length === 1 ? this.#payloadResolvers[0] : undefined;
    if (this.#only === undefined) this.#resolvers = new Array(this.total);
    this.replicaTable = table;
    this.#reader = r;
  }

  /** True when every entry has been decoded. */
  get done(): boolean {
    return this.#count === this.total;
  }

  /**
   * Slots of decoded keys found by a {@link KeyMatcher}: the slot, -1 for a key surely not stored,
   * -2 when the matcher could not tell (look it up). Filled by `next`.
   */
  matchedSlots: Int32Array | undefined;

  /**
   * Decodes up to `max` more entries; checks for trailing bytes after the last one. With a
   * `matcher`, keys already stored are taken from the store (and their slots recorded) instead of
   * being decoded into new strings.
   */
  next(max: number, matcher?: KeyMatcher): void {
    if (matcher !== undefined && this.matchedSlots === undefined)
      this.matchedSlots = new Int32Array(this.total).fill(-2);
    const end = Math.min(this.total, this.#count + max);
    // One call per entry (not one long loop): V8 then compiles the entry decoder once for the life
    // of the process, where a long loop would be recompiled on stack at every apply.
    for (let i = this.#count; i < end; i++) this.#entry(i, matcher);
    if (this.done) {
      const r = this.#reader;
      r.done();
      if (this.#usedCount !== this.#payloadResolvers.length)
        r.fail("resolver table lists a resolver no entry uses");
      if (r.replicasUsed !== this.replicaTable.length)
        r.fail("replica table lists a replica nothing in the payload refers to");
    }
  }

  /** Decodes entry `i`: its front-coded key, resolver index and state. */
  #entry(i: number, matcher: KeyMatcher | undefined): void {
    const r: StateReader = this.#reader;
    const prevLen = this.#prevLen;
    let buf = this.#keyBuf;
    const p = r.uint();
    if (p > prevLen) r.fail(`key prefix ${p} longer than the previous key`);
    const n = r.uint();
    const maxKeyBytes = r.limits.maxKeyBytes;
    if (p + n > maxKeyBytes) r.fail(`key of ${p + n} bytes exceeds the limit ${maxKeyBytes}`);
    if (p + n > buf.length) {
      const bigger = new Uint8Array(Math.max(p + n, buf.length * 2));
      // The whole previous key: its byte at p decides the order and the canonical-prefix check.
      bigger.set(buf.subarray(0, prevLen));
      buf = bigger;
      this.#keyBuf = bigger;
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
      key = decodeKey(buf, length, r);
      if (matcher?.absent === true) (this.matchedSlots as Int32Array)[i] = -1;
    } else (this.matchedSlots as Int32Array)[i] = matcher?.slot ?? -2;
    if (order < 0 && !(key > this.#prev)) r.fail("keys not in strictly increasing order");
    const ri = r.uint();
    const resolver = this.#payloadResolvers[ri];
    if (resolver === undefined) r.fail(`resolver index ${ri} outside the table`);
    if (ri >= this.#usedCount) {
      if (ri !== this.#usedCount) r.fail(`resolver index ${ri} before index ${this.#usedCount} was used`);
      this.#usedCount++;
    }
    const mine = this.#rules.resolverFor(key);
    if (mine !== resolver) {
      throw new ResolverMismatchError(
        "RESOLVER_MISMATCH",
        `key ${JSON.stringify(key)} is governed by ${resolverName(mine)} here but by ${resolverName(resolver)} in the payload`,
      );
    }
    this.#decodeState(resolver, r, i);
    this.keys[i] = key;
    if (this.#only === undefined) this.#resolvers[i] = resolver;
    this.#prev = key;
    this.#count = i + 1;
  }

  /**
   * A register holding one value and nothing else — what most entries of a state are — is read
   * into columns instead of an object; anything else is decoded by its resolver. Keeps a
   * million-key apply from filling the heap with objects that live only until the merge.
   */
  #decodeState(resolver: AnyResolver, r: StateReader, i: number): void {
    if (r.peek() === 1 && this.#fastLane(resolver)) {
      if (this.lone.capacity === 0) this.lone = new SiblingColumns(this.total);
      if (r.lone(this.lone, i)) return;
    }
    this.#states ??= new Array(this.total);
    this.#states[i] = resolver.decode(r);
  }

  /** Whether entry `i` is held in the lone columns (its seq there is at least 1). */
  isLone(i: number): boolean {
    return this.lone.capacity > 0 && this.lone.seq[i] !== 0;
  }

  /** The resolver of entry `i`. */
  resolverAt(i: number): AnyResolver {
    return this.#only ?? (this.#resolvers[i] as AnyResolver);
  }

  #lastResolver: AnyResolver | undefined;
  #lastFast = false;

  /** Whether `resolver`'s lone values may use the columns (a register without batched reads). */
  #fastLane(resolver: AnyResolver): boolean {
    if (resolver !== this.#lastResolver) {
      this.#lastResolver = resolver;
      this.#lastFast = resolver.prepare === undefined && isRegister(resolver);
    }
    return this.#lastFast;
  }

  /** Entry `i`'s state as an object (a new one for an entry read into the lone columns). */
  stateAt(i: number): unknown {
    return this.isLone(i) ? this.lone.sibling(i, this.replicaTable) : this.#states?.[i];
  }

  /**
   * Drops the payload and everything decoded from it, once the apply is over, and keeps the emptied
   * decoder alive (see shape-keeper.ts). The decoder must not be used afterwards.
   */
  release(): void {
    this.keys.length = 0;
    this.#states = undefined;
    this.#resolvers.length = 0;
    this.#only = undefined;
    this.replicaTable = [];
    this.lone = new SiblingColumns(0);
    this.matchedSlots = undefined;
    this.#keyBuf = new Uint8Array(0);
    this.#prev = "";
    this.#lastResolver = undefined;
    // Nothing of the payload or of the replica that applied it stays reachable.
    this.context = new CausalContext();
    this.since = VersionVector.empty;
    this.#payloadResolvers.length = 0;
    this.#usedCount = 0;
    this.#rules = RELEASED_RULES;
    this.#reader.release();
    keepShape("PayloadDecoder", this);
  }

  /** The largest HLC time decoded so far. */
  maxTime(): MaxTime {
    const r = this.#reader;
    return { wall: r.maxWall, counter: r.maxCounter, node: r.maxNode };
  }
}
