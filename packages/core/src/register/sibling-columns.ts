// SiblingColumns: register values packed in typed columns, one row per index.
import type { ReplicaId } from "../version-vector.ts";
import { Sibling } from "./sibling.ts";

/** The largest seq {@link SiblingColumns} hold (a Uint32Array column): a longer one needs a state object. */
export const MAX_COLUMN_SEQ = 0xffffffff;

/**
 * Register values packed in columns, one row per index: the replica (a number naming an id in a
 * table its owner keeps), the seq, the HLC wall time and counter, and the value. The payload
 * decoder reads lone values into one set and the key store keeps its packed slots in two, so
 * neither holds an object per value; {@link SiblingColumns.sibling} rebuilds one on demand.
 */
export class SiblingColumns {
  replica: Uint32Array;
  seq: Uint32Array;
  wall: Float64Array;
  counter: Uint16Array;
  value: unknown[];
  readonly #empty: number;

  /** `capacity` rows, their replica column set to `empty` (what marks a row holding nothing). */
  constructor(capacity: number, empty = 0) {
    this.#empty = empty;
    this.replica = new Uint32Array(capacity);
    if (empty !== 0) this.replica.fill(empty);
    this.seq = new Uint32Array(capacity);
    this.wall = new Float64Array(capacity);
    this.counter = new Uint16Array(capacity);
    this.value = new Array(capacity); // holes read as undefined
  }

  /** Number of rows. */
  get capacity(): number {
    return this.seq.length;
  }

  /** Writes row `i`. */
  write(i: number, replica: number, seq: number, wall: number, counter: number, value: unknown): void {
    this.replica[i] = replica;
    this.seq[i] = seq;
    this.wall[i] = wall;
    this.counter[i] = counter;
    this.value[i] = value;
  }

  /** Copies row `j` of `from` into row `i`. */
  copy(i: number, from: SiblingColumns, j: number): void {
    this.write(
      i,
      from.replica[j] as number,
      from.seq[j] as number,
      from.wall[j] as number,
      from.counter[j] as number,
      from.value[j],
    );
  }

  /** Row `i` as a {@link Sibling}, its replica named by `replicas`. */
  sibling(i: number, replicas: readonly ReplicaId[]): Sibling {
    return new Sibling(
      replicas[this.replica[i] as number] as ReplicaId,
      this.seq[i] as number,
      this.wall[i] as number,
      this.counter[i] as number,
      this.value[i] as Sibling["value"],
    );
  }

  /** Grows to `capacity` rows, keeping the rows there are (new ones hold nothing). */
  grow(capacity: number): void {
    const grown = <T extends Uint32Array | Float64Array | Uint16Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    const replica = new Uint32Array(capacity);
    if (this.#empty !== 0) replica.fill(this.#empty);
    this.replica = grown(this.replica, replica);
    this.seq = grown(this.seq, new Uint32Array(capacity));
    this.wall = grown(this.wall, new Float64Array(capacity));
    this.counter = grown(this.counter, new Uint16Array(capacity));
    this.value.length = capacity;
  }
}
