import { MAX_COUNTER, MAX_WALL } from "@converge/hlc";
import { Reader } from "./reader.ts";
import type { SiblingColumns } from "./sibling-columns.ts";
import { readValue, Tag, type Value, type ValueLimits, writeValue } from "./value.ts";
import type { ReplicaId } from "./version-vector.ts";
import { Writer } from "./writer.ts";

/**
 * The writer handed to {@link Resolver.encode}: binary primitives plus payload-level helpers —
 * replica ids as indexes into the payload's replica table, HLC times delta-coded against the
 * previous time written, and {@link Value}s.
 */
export class StateWriter extends Writer {
  readonly #replicas: Map<ReplicaId, number>;
  readonly #table: ReplicaId[];
  #lastWall = 0;

  /** @internal Writers are created by the payload encoder. */
  constructor(replicas: Map<ReplicaId, number>, table: ReplicaId[], capacity?: number) {
    super(capacity);
    this.#replicas = replicas;
    this.#table = table;
  }

  /** Writes a replica id as its index in the payload's replica table. */
  replica(id: ReplicaId): void {
    let index = this.#replicas.get(id);
    if (index === undefined) {
      index = this.#table.length;
      this.#replicas.set(id, index);
      this.#table.push(id);
    }
    this.uint(index);
  }

  /** Writes an HLC time (the node is the replica written next to it). */
  time(wall: number, counter: number): void {
    this.int(wall - this.#lastWall);
    this.#lastWall = wall;
    this.uint(counter);
  }

  /** Writes a {@link Value}. */
  value(v: Value): void {
    writeValue(this, v);
  }
}

/** Offset after the varint last read by {@link short}. */
let after = 0;

/**
 * A minimal unsigned varint of at most four bytes at `pos` (its end in {@link after}), or -1 for
 * anything else (longer, non-minimal, or running past `end`).
 */
function short(buf: Uint8Array, pos: number, end: number): number {
  if (pos >= end) return -1;
  const b0 = buf[pos] as number;
  if (b0 < 0x80) {
    after = pos + 1;
    return b0;
  }
  if (pos + 1 >= end) return -1;
  const b1 = buf[pos + 1] as number;
  if (b1 < 0x80) {
    if (b1 === 0) return -1;
    after = pos + 2;
    return (b0 & 0x7f) | (b1 << 7);
  }
  if (pos + 2 >= end) return -1;
  const b2 = buf[pos + 2] as number;
  if (b2 < 0x80) {
    if (b2 === 0) return -1;
    after = pos + 3;
    return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
  }
  if (pos + 3 >= end) return -1;
  const b3 = buf[pos + 3] as number;
  if (b3 >= 0x80 || b3 === 0) return -1;
  after = pos + 4;
  return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | ((b2 & 0x7f) << 14) | (b3 << 21);
}

/** Size limits enforced while decoding a payload. */
export interface DecodeLimits extends ValueLimits {
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number;
  /** Longest key, in UTF-8 bytes. */
  readonly maxKeyBytes: number;
  /** Most entries (keys) in one payload. */
  readonly maxEntries: number;
}

/** Default decode limits: 512 MiB payloads, 16 KiB keys, 16 MiB strings, 16 M entries. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxPayloadBytes: 512 * 1024 * 1024,
  maxKeyBytes: 16 * 1024,
  maxStringBytes: 16 * 1024 * 1024,
  maxEntries: 16 * 1024 * 1024,
});

/**
 * The reader handed to {@link Resolver.decode}: the inverse of {@link StateWriter}, with every
 * field validated. It records the largest HLC time read, which the replica checks against its
 * clock's drift limit before anything is applied.
 */
export class StateReader extends Reader {
  #table: readonly ReplicaId[];
  readonly limits: DecodeLimits;
  #lastWall = 0;
  /** Counter of the time read by the last {@link StateReader.time} call. */
  lastCounter = 0;
  /** Largest time read so far: wall, counter and node; `maxWall` is -1 before any. */
  maxWall = -1;
  maxCounter = 0;
  maxNode: ReplicaId = "";

  /** @internal Readers are created by the payload decoder. */
  constructor(
    bytes: Uint8Array,
    start: number,
    end: number,
    table: readonly ReplicaId[],
    limits: DecodeLimits,
  ) {
    super(bytes, start, end);
    this.#table = table;
    this.limits = limits;
  }

  /**
   * Table entries referred to so far. The encoder lists replicas in the order the payload first
   * refers to them, so a reference to a new entry must be to the next one.
   */
  #replicasUsed = 0;

  /** @internal How many replica-table entries have been referred to. */
  get replicasUsed(): number {
    return this.#replicasUsed;
  }

  /** Reads a replica id (an index into the payload's replica table). */
  replica(): ReplicaId {
    const i = this.uint();
    const id = this.#table[i];
    if (id === undefined) this.fail(`replica index ${i} outside the table of ${this.#table.length}`);
    if (i >= this.#replicasUsed) {
      if (i !== this.#replicasUsed)
        this.fail(`replica index ${i} before index ${this.#replicasUsed} was used (table out of order)`);
      this.#replicasUsed++;
    }
    return id;
  }

  /** Reads an operation sequence number (≥ 1). */
  seq(): number {
    const s = this.uint();
    if (s === 0) this.fail("sequence number 0");
    return s;
  }

  /**
   * Reads an HLC time issued by `node`; returns its wall time and leaves its counter in
   * {@link StateReader.lastCounter}.
   */
  time(node: ReplicaId): number {
    const wall = this.#lastWall + this.int();
    if (wall < 0 || wall > MAX_WALL) this.fail(`wall time ${wall} out of range`);
    this.#lastWall = wall;
    const counter = this.uint();
    if (counter > MAX_COUNTER) this.fail(`HLC counter ${counter} out of range`);
    this.lastCounter = counter;
    this.#noteTime(wall, counter, node);
    return wall;
  }

  #noteTime(wall: number, counter: number, node: ReplicaId): void {
    if (
      wall > this.maxWall ||
      (wall === this.maxWall &&
        (counter > this.maxCounter || (counter === this.maxCounter && node > this.maxNode)))
    ) {
      this.maxWall = wall;
      this.maxCounter = counter;
      this.maxNode = node;
    }
  }

  /**
   * @internal Reads, in one pass over the bytes, a register state holding one value and nothing
   * else — sibling count 1, replica, seq, time, value, clock count 0 — into `out` at entry `i`.
   * Takes the plain shape only (short varints for the replica, seq and counter) and otherwise reads
   * nothing and returns false, and the caller decodes the state with its resolver. It never accepts
   * what the resolver would refuse and reads what it accepts exactly as the resolver would; a
   * malformed time delta or value throws the error the resolver's read would throw at that offset.
   */
  lone(out: SiblingColumns, i: number): boolean {
    const buf = this.source;
    const end = this.end;
    const start = this.offset;
    let pos = start;
    if (end - pos < 6 || buf[pos] !== 1) return false;
    const ri = short(buf, pos + 1, end);
    if (ri < 0) return false;
    const replica = this.#table[ri];
    if (replica === undefined || ri > this.#replicasUsed) return false;
    const seq = short(buf, after, end);
    if (seq <= 0) return false;
    let z = short(buf, after, end);
    if (z < 0) {
      // A long time delta (the payload's first time, or a jump): read as the resolver would.
      this.seek(after);
      z = this.uint();
      after = this.offset;
    }
    const wall = this.#lastWall + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (wall < 0 || wall > MAX_WALL) return this.#undo(start);
    const counter = short(buf, after, end);
    if (counter < 0 || counter > MAX_COUNTER) return this.#undo(start);
    pos = after;
    if (pos >= end) return this.#undo(start);
    let value: Value;
    const zv = buf[pos] === Tag.Int ? short(buf, pos + 1, end) : -1;
    if (zv >= 0) {
      value = zv % 2 === 0 ? zv / 2 : -(zv + 1) / 2;
      pos = after;
    } else {
      // Any other value: read as the resolver would (no times inside, so nothing else to undo).
      this.seek(pos);
      value = this.value();
      pos = this.offset;
    }
    if (pos >= end || buf[pos] !== 0) return this.#undo(start);
    this.seek(pos + 1);
    if (ri === this.#replicasUsed) this.#replicasUsed++;
    this.#lastWall = wall;
    this.lastCounter = counter;
    this.#noteTime(wall, counter, replica);
    out.write(i, ri, seq, wall, counter, value);
    return true;
  }

  /** @internal Drops the bytes and the replica table (the reader then reads nothing). */
  override release(): void {
    super.release();
    this.#table = [];
    this.#replicasUsed = 0;
  }

  /** Returns to `offset` (nothing read) and says so: false. */
  #undo(offset: number): false {
    this.seek(offset);
    return false;
  }

  /** Reads a {@link Value}. */
  value(): Value {
    return readValue(this, this.limits);
  }
}
