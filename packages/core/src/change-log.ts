import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** Operations per bucket: a query scans at most one partly-old bucket per replica. */
const BUCKET_BITS = 8;

/**
 * A bucket as kept once its replica moved on: a run `[first, -count]` when its slots are
 * consecutive (slot `first + i` for its i-th entry, as a replica writing new keys or a bulk load
 * leaves them: two numbers instead of one per entry), else an exact copy (an array left by pushes
 * has up to a third of its slots spare, 334 for 256 entries). Slots are never negative, so a
 * negative second element marks a run.
 */
function settled(bucket: readonly number[]): number[] {
  const n = bucket.length;
  const first = bucket[0] as number;
  let i = 1;
  while (i < n && bucket[i] === first + i) i++;
  return n > 1 && i === n ? [first, -n] : bucket.slice();
}

/** Calls `f` with each slot of a bucket, a run (see {@link settled}) or not. */
function eachSlot(bucket: readonly number[], f: (slot: number) => void): void {
  const count = -(bucket[1] as number);
  if (count > 0) for (let i = 0, first = bucket[0] as number; i < count; i++) f(first + i);
  else for (const s of bucket) f(s);
}

/**
 * Index from (replica, seq) to the store slots whose state holds that replica's operation `seq`,
 * so a delta since a version vector is found in time proportional to what changed, not to the
 * map. Each replica's operations are grouped in buckets of 256 consecutive seqs, kept in a map by
 * bucket number (not an array: one far seq, valid up to 2^52 − 1, would make an array huge or
 * past 2^32 − 2 no array element at all); recording is O(1) whatever order operations arrive in,
 * and a query walks a replica's buckets (1/256 of its operations) and reads only the new ones.
 *
 * Slots, not keys: a key keeps its slot while it is stored, and a bucket whose slots are
 * consecutive is kept as a run (see `settled`) once the replica moves on to its next bucket. A slot
 * freed and reused names another key, and superseded entries stay until the log is rebuilt (when
 * they outnumber the live ones): lookups re-check keys against the current state, so a stale
 * entry only costs a check.
 */
export class ChangeLog {
  // Per replica, its buckets by bucket number.
  readonly #logs = new Map<ReplicaId, Map<number, number[]>>();
  #entries = 0;
  #stale = 0;

  // The last replica recorded ("" matches no replica id), its log, and the last bucket written.
  #lastReplica: ReplicaId = "";
  #lastLog: Map<number, number[]> | undefined;
  #lastBucketNumber = -1;
  #lastBucket: number[] = [];

  record(replica: ReplicaId, seq: number, slot: number): void {
    const b = Math.floor(seq / (1 << BUCKET_BITS));
    if (replica === this.#lastReplica && b === this.#lastBucketNumber) {
      this.#lastBucket.push(slot);
      this.#entries++;
      return;
    }
    const sameReplica = replica === this.#lastReplica;
    // Leaving a bucket for the next of the same replica (a replica's operations arrive in
    // order, so it is full and rarely written again): keep it settled.
    if (sameReplica && b === this.#lastBucketNumber + 1 && this.#lastLog !== undefined)
      this.#lastLog.set(this.#lastBucketNumber, settled(this.#lastBucket));
    let log = sameReplica ? this.#lastLog : this.#logs.get(replica);
    if (log === undefined) {
      log = new Map();
      this.#logs.set(replica, log);
    }
    this.#lastReplica = replica;
    this.#lastLog = log;
    let bucket = log.get(b);
    // A bucket written again (an operation arriving out of order) is an array of its slots.
    if (bucket === undefined || (bucket[1] as number) < 0) {
      const slots: number[] = [];
      if (bucket !== undefined) eachSlot(bucket, (s) => slots.push(s));
      log.set(b, slots);
      bucket = slots;
    }
    bucket.push(slot);
    this.#lastBucketNumber = b;
    this.#lastBucket = bucket;
    this.#entries++;
  }

  /** Notes that an earlier entry was superseded; returns true when a rebuild is due. */
  superseded(): boolean {
    this.#stale++;
    return this.#stale > 4096 && this.#stale * 2 > this.#entries;
  }

  /**
   * Keys that may hold an operation not included in `since` (each at most once), named by
   * `keyAt` (undefined: a free slot): the slots of the buckets at or above `since`'s only (the
   * walk over bucket numbers is 1/256 of the operations).
   */
  keysAfter(since: VersionVector, keyAt: (slot: number) => string | undefined): Set<string> {
    const out = new Set<string>();
    const add = (slot: number): void => {
      const key = keyAt(slot);
      if (key !== undefined) out.add(key);
    };
    for (const [replica, log] of this.#logs) {
      const first = Math.floor((since.get(replica) + 1) / (1 << BUCKET_BITS));
      for (const [b, slots] of log) if (b >= first) eachSlot(slots, add);
    }
    return out;
  }

  clear(): void {
    this.#logs.clear();
    this.#lastReplica = "";
    this.#lastLog = undefined;
    this.#lastBucketNumber = -1;
    this.#lastBucket = [];
    this.#entries = 0;
    this.#stale = 0;
  }
}
