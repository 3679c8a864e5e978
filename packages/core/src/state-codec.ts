import { MAX_COUNTER, MAX_WALL } from "@converge/hlc";
import { Reader } from "./reader.ts";
import { readValue, type Value, type ValueLimits, writeValue } from "./value.ts";
import type { ReplicaId } from "./version-vector.ts";
import { MAX_ZIGZAG, Writer } from "./writer.ts";

/**
 * The writer handed to {@link Resolver.encode}: binary primitives plus payload-level helpers —
 * replica ids as indexes into the payload's replica table, operation dots whose seqs are coded
 * against the same replica's previous dot, HLC times delta-coded against the previous time
 * written, and {@link Value}s.
 */
export class StateWriter extends Writer {
  readonly #replicas: Map<ReplicaId, number>;
  readonly #table: ReplicaId[];
  #lastWall = 0;
  /** Last dot seq written per replica-table index. */
  readonly #seqs: number[] = [];

  /** @internal Writers are created by the payload encoder. */
  constructor(replicas: Map<ReplicaId, number>, table: ReplicaId[], capacity?: number) {
    super(capacity);
    this.#replicas = replicas;
    this.#table = table;
  }

  /** Writes a replica id as its index in the payload's replica table; returns the index. */
  replica(id: ReplicaId): number {
    let index = this.#replicas.get(id);
    if (index === undefined) {
      index = this.#table.length;
      this.#replicas.set(id, index);
      this.#table.push(id);
    }
    this.uint(index);
    return index;
  }

  /**
   * Writes the dot (`id`, `seq`), `seq` at most `MAX_ZIGZAG` (2^52 − 1): the replica's index, then
   * `seq` minus the previous dot's seq of that replica in the payload (0 before its first), an `int`.
   */
  dot(id: ReplicaId, seq: number): void {
    const i = this.replica(id);
    this.int(seq - (this.#seqs[i] ?? 0));
    this.#seqs[i] = seq;
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
  /** Last dot seq read per replica-table index (see {@link StateReader.dot}). */
  readonly #seqs: number[] = [];
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

  /** Table index of the replica read last. */
  #lastIndex = 0;

  /** Reads a replica id (an index into the payload's replica table). */
  replica(): ReplicaId {
    const i = this.uint();
    this.#lastIndex = i;
    const id = this.#table[i];
    if (id === undefined) this.fail(`replica index ${i} outside the table of ${this.#table.length}`);
    if (i >= this.#replicasUsed) {
      if (i !== this.#replicasUsed)
        this.fail(`replica index ${i} before index ${this.#replicasUsed} was used (table out of order)`);
      this.#replicasUsed++;
    }
    return id;
  }

  /**
   * Reads a dot written by {@link StateWriter.dot}: returns its replica and leaves its seq (1 …
   * 2^52 − 1, else refused) in {@link StateReader.lastSeq}.
   */
  dot(): ReplicaId {
    const id = this.replica();
    const i = this.#lastIndex;
    this.lastSeq = this.#seqs[i] = this.seqAfter(i, this.int()) || this.fail("sequence number out of range");
    return id;
  }

  /** Seq of the dot read by the last {@link StateReader.dot} call. */
  lastSeq = 0;

  /** @internal The seq `d` after the previous dot of replica-table index `i` here, or 0 when out of range; reads nothing. */
  seqAfter(i: number, d: number): number {
    const seq = (this.#seqs[i] ?? 0) + d;
    return seq > 0 && seq <= MAX_ZIGZAG ? seq : 0;
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

  /** @internal The payload's replica table (what {@link StateReader.replica} indexes). */
  get table(): readonly ReplicaId[] {
    return this.#table;
  }

  /** @internal Wall time of the last time read: the next time is delta-coded against it. */
  get lastWall(): number {
    return this.#lastWall;
  }

  /**
   * @internal Takes note of a value a fused fast reader read past this reader's methods (see
   * register/lone-reader.ts): its dot (replica-table index `ri`, `seq`) and its time, exactly as
   * {@link StateReader.dot} and {@link StateReader.time} would have.
   */
  noteRead(ri: number, seq: number, wall: number, counter: number, node: ReplicaId): void {
    if (ri === this.#replicasUsed) this.#replicasUsed++;
    this.#seqs[ri] = seq;
    this.#lastWall = wall;
    this.lastCounter = counter;
    this.#noteTime(wall, counter, node);
  }

  /** @internal Drops the bytes and the replica table (the reader then reads nothing). */
  override release(): void {
    super.release();
    this.#table = [];
    this.#replicasUsed = 0;
  }

  /** Reads a {@link Value}. */
  value(): Value {
    return readValue(this, this.limits);
  }
}
