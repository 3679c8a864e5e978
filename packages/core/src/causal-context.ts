import type { StateReader, StateWriter } from "./state-codec.ts";
import { type ReplicaId, VersionVector } from "./version-vector.ts";

/**
 * What a replica has seen: a version vector (every operation 1..n of each replica) plus a "cloud"
 * of operations seen beyond it (delivered out of order on the op path). Mutable; internal.
 */
export class CausalContext {
  readonly #vv = new Map<ReplicaId, number>();
  /** Made on the first seq seen out of order: most contexts (every op's dots) never need one. */
  #cloud: Map<ReplicaId, Set<number>> | undefined;
  /** {@link CausalContext.versionVector}'s last answer, until the vector changes. */
  #view: VersionVector | undefined;

  /** The cloud, made if it is not yet. */
  #clouds(): Map<ReplicaId, Set<number>> {
    this.#cloud ??= new Map();
    return this.#cloud;
  }

  /** True when operation `seq` of `replica` has been seen. */
  has(replica: ReplicaId, seq: number): boolean {
    if (seq <= (this.#vv.get(replica) ?? 0)) return true;
    return this.#cloud?.get(replica)?.has(seq) ?? false;
  }

  /** Highest contiguous seq of `replica`. */
  get(replica: ReplicaId): number {
    return this.#vv.get(replica) ?? 0;
  }

  /** True when some operation of `replica` beyond the contiguous vector has been seen. */
  hasCloud(replica: ReplicaId): boolean {
    return this.#cloud?.has(replica) ?? false;
  }

  /** True when some operation of `replica` has been seen. */
  knows(replica: ReplicaId): boolean {
    return this.#vv.has(replica) || this.hasCloud(replica);
  }

  /** Highest seq of `replica` seen, in the vector or the cloud. */
  highest(replica: ReplicaId): number {
    let top = this.#vv.get(replica) ?? 0;
    for (const s of this.#cloud?.get(replica) ?? []) if (s > top) top = s;
    return top;
  }

  /** Records operation `seq` of `replica` as seen, folding the cloud into the vector when contiguous. */
  add(replica: ReplicaId, seq: number): void {
    const top = this.#vv.get(replica) ?? 0;
    if (seq <= top) return;
    if (seq === top + 1) {
      let next = seq;
      const cloud = this.#cloud?.get(replica);
      if (cloud !== undefined) {
        while (cloud.delete(next + 1)) next++;
        if (cloud.size === 0) this.#cloud?.delete(replica);
      }
      this.#vv.set(replica, next);
      this.#view = undefined;
      return;
    }
    let cloud = this.#cloud?.get(replica);
    if (cloud === undefined) {
      cloud = new Set();
      this.#clouds().set(replica, cloud);
    }
    cloud.add(seq);
  }

  /** Raises `replica`'s contiguous entry to at least `seq`. */
  raise(replica: ReplicaId, seq: number): void {
    const top = this.#vv.get(replica) ?? 0;
    if (seq <= top) return;
    this.#vv.set(replica, seq);
    this.#view = undefined;
    const cloud = this.#cloud?.get(replica);
    if (cloud !== undefined) {
      for (const s of cloud) if (s <= seq) cloud.delete(s);
      let next = seq;
      while (cloud.delete(next + 1)) next++;
      this.#vv.set(replica, next);
      if (cloud.size === 0) this.#cloud?.delete(replica);
    }
  }

  /** True when every operation of `replica` up to `seq` has been seen (contiguously or in the cloud). */
  hasUpTo(replica: ReplicaId, seq: number): boolean {
    for (let k = this.get(replica) + 1; k <= seq; k++) if (!this.has(replica, k)) return false;
    return true;
  }

  /** True when this context has seen everything `other` has. */
  covers(other: CausalContext): boolean {
    for (const [r, n] of other.#vv) if (!this.hasUpTo(r, n)) return false;
    for (const [r, set] of other.#cloud ?? []) for (const k of set) if (!this.has(r, k)) return false;
    return true;
  }

  /** Forgets everything, then takes what `other` has seen (`replaceState`). */
  replace(other: CausalContext): void {
    this.#vv.clear();
    this.#view = this.#cloud = undefined;
    for (const [r, s] of other.#vv) this.#vv.set(r, s);
    for (const [r, set] of other.#cloud ?? []) this.#clouds().set(r, new Set(set));
  }

  /** Adds everything `other` has seen. */
  merge(other: CausalContext): void {
    for (const [r, s] of other.#vv) this.raise(r, s);
    for (const [r, set] of other.#cloud ?? []) for (const s of set) this.add(r, s);
  }

  /**
   * The contiguous part as an immutable {@link VersionVector}: the same object until it changes,
   * so a host asking after every merge builds one per change, and what it keeps shares it.
   */
  versionVector(): VersionVector {
    this.#view ??= new VersionVector(new Map(this.#vv));
    return this.#view;
  }

  /** Canonical encoding: vector then cloud, both sorted by replica id, cloud seqs ascending. */
  encode(w: StateWriter): void {
    const vv = [...this.#vv].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    w.uint(vv.length);
    for (const [r, s] of vv) {
      w.replica(r);
      w.uint(s);
    }
    const cloud = [...(this.#cloud ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    w.uint(cloud.length);
    for (const [r, set] of cloud) {
      const seqs = [...set].sort((a, b) => a - b);
      w.replica(r);
      w.uint(seqs.length);
      let prev = this.get(r);
      for (const s of seqs) {
        w.uint(s - prev - 1);
        prev = s;
      }
    }
  }

  /** Reads what {@link CausalContext.encode} wrote, refusing non-canonical forms. */
  static decode(r: StateReader): CausalContext {
    const c = new CausalContext();
    const n = r.count(2, "version vector entry");
    let last = "";
    for (let i = 0; i < n; i++) {
      const replica = r.replica();
      if (!(replica > last)) r.fail("version vector not sorted by replica");
      last = replica;
      c.#vv.set(replica, r.seq());
    }
    const m = r.count(2, "cloud replica");
    last = "";
    for (let i = 0; i < m; i++) {
      const replica = r.replica();
      if (!(replica > last)) r.fail("cloud not sorted by replica");
      last = replica;
      const k = r.count(1, "cloud seq");
      if (k === 0) r.fail("empty cloud entry");
      const set = new Set<number>();
      let prev = c.get(replica);
      for (let j = 0; j < k; j++) {
        const s = prev + 1 + r.uint();
        // The first cloud seq must leave a gap above the vector, or it would have been folded in.
        if (j === 0 && s === c.get(replica) + 1) r.fail("cloud seq adjacent to the version vector");
        if (!Number.isSafeInteger(s)) r.fail("cloud seq out of range");
        set.add(s);
        prev = s;
      }
      c.#clouds().set(replica, set);
    }
    return c;
  }
}
