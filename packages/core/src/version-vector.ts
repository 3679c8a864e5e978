import type { NodeId } from "@converge/hlc";
import { isNodeId } from "@converge/hlc";
import { ConfigError } from "./errors.ts";

/** A replica's id: its clock's 64-bit node id as 16 lowercase hex digits. */
export type ReplicaId = NodeId;

/** How two version vectors relate. */
export type Ordering = "before" | "after" | "equal" | "concurrent";

/**
 * An immutable version vector: for each replica, how many of its operations are included
 * (operations are numbered 1, 2, 3… per replica, so `seq` n means "operations 1..n").
 *
 * `compare` is the causal order (`before`/`after`/`equal`, else `concurrent`); `merge` is the
 * pointwise maximum and is commutative, associative and idempotent. Absent replicas count as 0.
 */
export class VersionVector {
  readonly #seqs: ReadonlyMap<ReplicaId, number>;

  /** @internal Use {@link versionVector}. `seqs` must hold positive integers only and is not copied. */
  constructor(seqs: ReadonlyMap<ReplicaId, number>) {
    this.#seqs = seqs;
  }

  /** The empty vector. */
  static readonly empty: VersionVector = new VersionVector(new Map());

  /** Number of replicas with a non-zero entry. */
  get size(): number {
    return this.#seqs.size;
  }

  /** The entry for `replica` (0 when absent). */
  get(replica: ReplicaId): number {
    return this.#seqs.get(replica) ?? 0;
  }

  /** True when operation `seq` of `replica` is included. */
  includes(replica: ReplicaId, seq: number): boolean {
    return seq <= (this.#seqs.get(replica) ?? 0);
  }

  /** Entries sorted by replica id. */
  entries(): [ReplicaId, number][] {
    return [...this.#seqs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * Causal order: `before` when every entry is ≤ the other's and one is <, `after` the reverse,
   * `equal` when all entries match, `concurrent` otherwise.
   */
  compare(other: VersionVector): Ordering {
    let less = false;
    let greater = false;
    for (const [r, s] of this.#seqs) {
      const o = other.get(r);
      if (s < o) less = true;
      else if (s > o) greater = true;
    }
    for (const [r, o] of other.#seqs) {
      if (!this.#seqs.has(r) && o > 0) less = true;
    }
    if (less && greater) return "concurrent";
    if (less) return "before";
    if (greater) return "after";
    return "equal";
  }

  /** Pointwise maximum. */
  merge(other: VersionVector): VersionVector {
    const out = new Map(this.#seqs);
    for (const [r, s] of other.#seqs) if (s > (out.get(r) ?? 0)) out.set(r, s);
    return new VersionVector(out);
  }

  /** Pointwise minimum (what every one of the vectors includes). */
  meet(other: VersionVector): VersionVector {
    const out = new Map<ReplicaId, number>();
    for (const [r, s] of this.#seqs) {
      const m = Math.min(s, other.get(r));
      if (m > 0) out.set(r, m);
    }
    return new VersionVector(out);
  }

  /** True when every entry is ≥ the other's (`after` or `equal`). */
  dominates(other: VersionVector): boolean {
    const c = this.compare(other);
    return c === "after" || c === "equal";
  }

  /** A copy with `replica`'s entry raised to at least `seq`. */
  with(replica: ReplicaId, seq: number): VersionVector {
    if (seq <= this.get(replica)) return this;
    const out = new Map(this.#seqs);
    out.set(replica, seq);
    return new VersionVector(out);
  }

  /** JSON form: `{ [replica]: seq }` with replicas sorted. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.entries());
  }
}

/**
 * Builds a version vector from `[replica, seq]` pairs or a `{ replica: seq }` record. Zero entries
 * are dropped; duplicates keep the maximum.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for a malformed replica id or a negative or
 *   non-integer seq.
 */
export function versionVector(
  entries: Iterable<readonly [ReplicaId, number]> | Readonly<Record<ReplicaId, number>> = [],
): VersionVector {
  if (typeof entries !== "object" || entries === null)
    throw new ConfigError(
      `versionVector: expected [replica, seq] pairs or a { replica: seq } record, got ${String(entries)}`,
    );
  const pairs: Iterable<readonly [string, number]> =
    Symbol.iterator in entries
      ? (entries as Iterable<readonly [ReplicaId, number]>)
      : Object.entries(entries as Record<string, number>);
  const out = new Map<ReplicaId, number>();
  for (const [r, s] of pairs) {
    if (!isNodeId(r)) throw new ConfigError(`replica id ${JSON.stringify(r)} is not 16 lowercase hex digits`);
    if (!Number.isSafeInteger(s) || s < 0)
      throw new ConfigError(`seq ${s} of ${r} is not a non-negative integer`);
    if (s > (out.get(r) ?? 0)) out.set(r, s);
  }
  return new VersionVector(out);
}

/** The replica id (16 lowercase hex digits) of the 8 bytes at `at`; also a key-rule fingerprint's hex. */
export function bytes8ToHex(bytes: Uint8Array, at = 0): ReplicaId {
  let s = "";
  for (let i = at; i < at + 8; i++) s += (bytes[i] as number).toString(16).padStart(2, "0");
  return s;
}
