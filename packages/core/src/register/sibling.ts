// The register state: one written value (Sibling) or surviving values plus the key clock (Siblings).
import type { Value } from "../value.ts";
import type { ReplicaId } from "../version-vector.ts";

/**
 * One written value of a register, identified by the operation that wrote it (its dot: replica and
 * seq) and stamped with that operation's HLC time. Used alone as the whole state when it is the
 * only value and nothing else was seen on the key (the common case, kept small).
 */
export class Sibling {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly value: Value;
  constructor(replica: ReplicaId, seq: number, wall: number, counter: number, value: Value) {
    this.replica = replica;
    this.seq = seq;
    this.wall = wall;
    this.counter = counter;
    this.value = value;
  }
}

/**
 * The general register state: the surviving siblings (sorted by replica id, at most one per
 * replica) and the key's clock — for each replica, the highest seq of its operations on this key
 * that this state has seen. A sibling is dominated (overwritten or deleted) when the other side's
 * clock has seen its dot but no longer holds it. No siblings means deleted (a tombstone).
 */
export class Siblings {
  readonly siblings: readonly Sibling[];
  /** Flat `[replica, seq, …]`; undefined when it is exactly the siblings' own dots (the common case). */
  readonly explicit: readonly (ReplicaId | number)[] | undefined;
  constructor(siblings: readonly Sibling[], clock: readonly (ReplicaId | number)[] | undefined) {
    this.siblings = siblings;
    this.explicit = clock;
  }

  /** The key clock, sorted by replica id. */
  get clock(): readonly (ReplicaId | number)[] {
    if (this.explicit !== undefined) return this.explicit;
    const out: (ReplicaId | number)[] = [];
    for (const s of this.siblings) out.push(s.replica, s.seq);
    return out;
  }
}

/** A register's state: a lone value (the common case) or siblings with the key clock. */
export type RegisterState = Sibling | Siblings;

/** The surviving values of a state. */
export function siblingsOf(s: RegisterState): readonly Sibling[] {
  return s instanceof Sibling ? [s] : s.siblings;
}

/** The key clock of a state, flat `[replica, seq, …]` sorted by replica id. */
export function clockOf(s: RegisterState): readonly (ReplicaId | number)[] {
  return s instanceof Sibling ? [s.replica, s.seq] : s.clock;
}
