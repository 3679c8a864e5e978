// PackedRegisters: states by slot, lone register values and concurrent pairs packed in typed columns.
import type { ReplicaId } from "../version-vector.ts";
import { ADD_CONCURRENT, GENERIC, type LoneAction, REPLACE_LONE, UNCHANGED } from "./lone-action.ts";
import { newer } from "./newer.ts";
import { Sibling, Siblings } from "./sibling.ts";
import { MAX_COLUMN_SEQ, SiblingColumns } from "./sibling-columns.ts";

/** {@link PackedRegisters.newestValue}: the slot holds a state object. */
export const NOT_PACKED: unique symbol = Symbol("not packed");

/**
 * Rows the columns start with; they double when a slot passes them. Small, because a replica
 * often holds a few keys (a server hosting thousands of small documents pays this per document):
 * 1024 rows cost 26 KiB per map before its first key.
 */
const INITIAL_ROWS = 8;
/** Marks a slot whose state is an object in the value column rather than a packed sibling. */
const OBJECT = 0xffffffff;
/** Marks a packed slot without a second sibling. */
const NONE = 0xffffffff;

/**
 * The state side of the {@link KeyStore}, by slot. The common state — a register holding one value
 * and nothing else (a lone {@link Sibling}) — is packed into columns (replica number, seq, wall,
 * counter, value) instead of being kept as an object, which roughly halves the memory per key; two
 * concurrent values with nothing else seen (the state a merge of two concurrent writes leaves) go
 * into a second set of columns, allocated when first needed. Any other state is stored as an
 * object. Packed states are rebuilt as fresh immutable objects on read, so callers never see the
 * difference — and merges leave no long-lived garbage. Replica ids are numbered once per store.
 */
export class PackedRegisters {
  /** A slot's lone value or the first of a pair; replica OBJECT: the value column holds a state object. */
  readonly #first = new SiblingColumns(INITIAL_ROWS);
  /** The second value of a packed pair (replica NONE: no pair), allocated on the first pair. */
  #second: SiblingColumns | undefined;
  /**
   * Per slot holding a pair: 1 when its second value is the newer ({@link newer}), set when the
   * pair is written, so a read of the newest value is one byte away; allocated with `#second`.
   */
  #secondNewer: Uint8Array = new Uint8Array(0);
  readonly #replicas: ReplicaId[] = [];
  readonly #replicaIndex = new Map<ReplicaId, number>();
  // Last id numbered ("" matches no replica id), kept a string so the check stays monomorphic.
  #lastId: ReplicaId = "";
  #lastNumber = 0;
  #cmpA: ReplicaId = "";
  #cmpB: ReplicaId = "";
  #cmpLess = false;

  /** Makes room for `slot` (a slot is at most one past the last one used). */
  reserve(slot: number): void {
    if (slot >= this.#first.capacity) {
      const capacity = this.#first.capacity * 2;
      this.#first.grow(capacity);
      if (this.#second !== undefined) {
        this.#second.grow(capacity);
        const flags = new Uint8Array(capacity);
        flags.set(this.#secondNewer);
        this.#secondNewer = flags;
      }
    }
  }

  /** The state in `slot` (a fresh object for a packed sibling or pair). */
  stateAt(slot: number): unknown {
    const first = this.#first;
    if (first.replica[slot] === OBJECT) return first.value[slot];
    const a = first.sibling(slot, this.#replicas);
    const second = this.#second;
    if (second === undefined || second.replica[slot] === NONE) return a;
    return new Siblings([a, second.sibling(slot, this.#replicas)], undefined);
  }

  /**
   * Stores `state` in `slot`: packed when it is a lone sibling, or (when `pairs`) two concurrent
   * siblings with no clock entries; as an object otherwise.
   */
  put(slot: number, state: unknown, pairs: boolean): void {
    if (state instanceof Sibling && state.seq <= MAX_COLUMN_SEQ) {
      this.#writeFirst(slot, state.replica, state.seq, state.wall, state.counter, state.value);
      this.#clearSecond(slot);
    } else if (
      pairs &&
      state instanceof Siblings &&
      state.explicit === undefined &&
      state.siblings.length === 2 &&
      (state.siblings[0] as Sibling).seq <= MAX_COLUMN_SEQ &&
      (state.siblings[1] as Sibling).seq <= MAX_COLUMN_SEQ
    ) {
      const [a, b] = state.siblings as [Sibling, Sibling];
      this.#writeFirst(slot, a.replica, a.seq, a.wall, a.counter, a.value);
      this.#pairs().write(slot, this.#replicaNumber(b.replica), b.seq, b.wall, b.counter, b.value);
      this.#flagPair(slot);
    } else {
      this.#first.replica[slot] = OBJECT;
      this.#first.value[slot] = state;
      this.#clearSecond(slot);
    }
  }

  /** Stores a lone value in `slot` from its fields, without building the state object. */
  putLone(
    slot: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    this.#writeFirst(slot, replica, seq, wall, counter, value);
    this.#clearSecond(slot);
  }

  /** Empties `slot` (its key was deleted), dropping any value it held. */
  clear(slot: number): void {
    this.#first.replica[slot] = OBJECT;
    this.#first.value[slot] = undefined;
    this.#clearSecond(slot);
  }

  /**
   * How a lone value from `replica` with sequence `seq` merges into `slot`, when the slot holds a
   * lone packed value too: {@link REPLACE_LONE}, {@link ADD_CONCURRENT} or {@link UNCHANGED}; else
   * {@link GENERIC} (merge the state objects).
   */
  loneAction(slot: number, replica: ReplicaId, seq: number): LoneAction {
    const first = this.#first;
    const r = first.replica[slot] as number;
    if (r === OBJECT || (this.#second !== undefined && this.#second.replica[slot] !== NONE)) return GENERIC;
    if (replica !== this.#replicas[r]) return ADD_CONCURRENT;
    return seq > (first.seq[slot] as number) ? REPLACE_LONE : UNCHANGED;
  }

  /**
   * The value of the newest write (HLC time, node id breaking ties) held packed in `slot`, or
   * {@link NOT_PACKED} when the slot holds a state object.
   */
  newestValue(slot: number): unknown {
    const first = this.#first;
    const r = first.replica[slot] as number;
    if (r === OBJECT) return NOT_PACKED;
    const second = this.#second;
    if (second === undefined || second.replica[slot] === NONE) return first.value[slot];
    return this.#secondNewer[slot] === 1 ? second.value[slot] : first.value[slot];
  }

  /** Records which value of the pair in `slot` is the newer (see `#secondNewer`). */
  #flagPair(slot: number): void {
    const first = this.#first;
    const second = this.#second as SiblingColumns;
    const secondNewer = newer(
      second.wall[slot] as number,
      second.counter[slot] as number,
      this.#replicas[second.replica[slot] as number] as ReplicaId,
      first.wall[slot] as number,
      first.counter[slot] as number,
      this.#replicas[first.replica[slot] as number] as ReplicaId,
    );
    this.#secondNewer[slot] = secondNewer ? 1 : 0;
  }

  /**
   * Copies the lone packed value of `slot` into row `row` of `into`, its replica numbered as in
   * {@link PackedRegisters.replicaIds}.
   */
  copyLone(slot: number, into: SiblingColumns, row: number): void {
    into.copy(row, this.#first, slot);
  }

  /** The replica ids the columns number: append-only, so a number keeps naming the same id. */
  get replicaIds(): readonly ReplicaId[] {
    return this.#replicas;
  }

  /** Replica of a packed slot's (first) value. */
  replicaAt(slot: number): ReplicaId {
    return this.#replicas[this.#first.replica[slot] as number] as ReplicaId;
  }

  /**
   * Turns the lone value in `slot` into a pair with a concurrent value from another replica,
   * keeping the pair sorted by replica id.
   */
  addConcurrent(
    slot: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    if (this.#before(replica, this.replicaAt(slot))) {
      // The new value sorts first: the current one moves to the second columns.
      this.#pairs().copy(slot, this.#first, slot);
      this.#writeFirst(slot, replica, seq, wall, counter, value);
    } else {
      this.#pairs().write(slot, this.#replicaNumber(replica), seq, wall, counter, value);
    }
    this.#flagPair(slot);
  }

  #replicaNumber(id: ReplicaId): number {
    if (id === this.#lastId) return this.#lastNumber;
    let r = this.#replicaIndex.get(id);
    if (r === undefined) {
      r = this.#replicas.length;
      this.#replicas.push(id);
      this.#replicaIndex.set(id, r);
    }
    this.#lastId = id;
    this.#lastNumber = r;
    return r;
  }

  #pairs(): SiblingColumns {
    if (this.#second === undefined) {
      this.#second = new SiblingColumns(this.#first.capacity, NONE);
      this.#secondNewer = new Uint8Array(this.#first.capacity);
    }
    return this.#second;
  }

  #writeFirst(
    s: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    this.#first.write(s, this.#replicaNumber(replica), seq, wall, counter, value);
  }

  #clearSecond(s: number): void {
    const second = this.#second;
    if (second === undefined) return;
    second.replica[s] = NONE;
    second.value[s] = undefined;
  }

  /** `a < b`, remembering the last pair (a merge compares the same two replicas again and again). */
  #before(a: ReplicaId, b: ReplicaId): boolean {
    if (a !== this.#cmpA || b !== this.#cmpB) {
      this.#cmpA = a;
      this.#cmpB = b;
      this.#cmpLess = a < b;
    }
    return this.#cmpLess;
  }
}
