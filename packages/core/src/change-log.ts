import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** Operations per bucket: a query scans at most one partly-old bucket per replica. */
const BUCKET_BITS = 8;

/**
 * Index from (replica, seq) to the keys whose state holds that replica's operation `seq`, so a
 * delta since a version vector is found in time proportional to what changed, not to the map.
 * Each replica's operations are grouped in buckets of 256 consecutive seqs, kept in a map by
 * bucket number (not an array: one far seq, valid up to 2^52 − 1, would make an array huge or
 * past 2^32 − 2 no array element at all); recording is O(1) whatever order operations arrive in,
 * and a query walks a replica's buckets (1/256 of its operations) and reads only the new ones.
 * Superseded entries stay until the log is rebuilt (when they outnumber the live ones); lookups
 * re-check keys against the current state, so a stale entry only costs a check.
 */
export class ChangeLog {
  // Per replica, its buckets by bucket number.
  readonly #logs = new Map<ReplicaId, Map<number, string[]>>();
  #entries = 0;
  #stale = 0;

  // The last replica recorded ("" matches no replica id), its log, and the last bucket written.
  #lastReplica: ReplicaId = "";
  #lastLog: Map<number, string[]> | undefined;
  #lastBucketNumber = -1;
  #lastBucket: string[] = [];

  record(replica: ReplicaId, seq: number, key: string): void {
    const b = Math.floor(seq / (1 << BUCKET_BITS));
    if (replica === this.#lastReplica && b === this.#lastBucketNumber) {
      this.#lastBucket.push(key);
      this.#entries++;
      return;
    }
    let log = replica === this.#lastReplica ? this.#lastLog : this.#logs.get(replica);
    if (log === undefined) {
      log = new Map();
      this.#logs.set(replica, log);
    }
    this.#lastReplica = replica;
    this.#lastLog = log;
    let bucket = log.get(b);
    if (bucket === undefined) {
      bucket = [];
      log.set(b, bucket);
    }
    bucket.push(key);
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
   * Keys that may hold an operation not included in `since` (each at most once): the keys of the
   * buckets at or above `since`'s only (the walk over bucket numbers is 1/256 of the operations).
   */
  keysAfter(since: VersionVector): Set<string> {
    const out = new Set<string>();
    for (const [replica, log] of this.#logs) {
      const first = Math.floor((since.get(replica) + 1) / (1 << BUCKET_BITS));
      for (const [b, keys] of log) if (b >= first) for (const k of keys) out.add(k);
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
