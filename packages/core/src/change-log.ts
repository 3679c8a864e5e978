import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** Operations per bucket: a query scans at most one partly-old bucket per replica. */
const BUCKET_BITS = 8;
/**
 * Most empty buckets one record may add to a replica's array. A seq past that (a jump of 2^18
 * seqs or more, which only a sparse or hostile history has) goes to the replica's map of far
 * buckets: an array indexed by such a seq would be huge, slow to walk, or (past 2^32 − 2 buckets)
 * not an array element at all.
 */
const MAX_GAP = 1024;

/** A replica's buckets: dense by bucket number, and any far past the dense end. */
interface ReplicaLog {
  readonly dense: string[][];
  far: Map<number, string[]> | undefined;
}

/**
 * Index from (replica, seq) to the keys whose state holds that replica's operation `seq`, so a
 * delta since a version vector is found in time proportional to what changed, not to the map.
 * Each replica's operations are grouped in buckets of 256 consecutive seqs; recording is O(1)
 * whatever order operations arrive in. Superseded entries stay until the log is rebuilt (when they
 * outnumber the live ones); lookups re-check keys against the current state, so a stale entry
 * only costs a check.
 */
export class ChangeLog {
  // Per replica, its buckets by bucket number (a replica's seqs are dense, so mostly an array).
  readonly #logs = new Map<ReplicaId, ReplicaLog>();
  #entries = 0;
  #stale = 0;

  // The last replica recorded ("" matches no replica id), its log, and the last bucket written.
  #lastReplica: ReplicaId = "";
  #lastLog: ReplicaLog | undefined;
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
      log = { dense: [], far: undefined };
      this.#logs.set(replica, log);
    }
    this.#lastReplica = replica;
    this.#lastLog = log;
    const dense = log.dense;
    let bucket: string[] | undefined;
    if (b <= dense.length + MAX_GAP) {
      bucket = dense[b];
      if (bucket === undefined) dense[b] = bucket = [];
    } else {
      log.far ??= new Map();
      bucket = log.far.get(b);
      if (bucket === undefined) {
        bucket = [];
        log.far.set(b, bucket);
      }
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
   * Keys that may hold an operation not included in `since` (each at most once): only the buckets
   * at or above `since`'s, so the walk is proportional to what changed.
   */
  keysAfter(since: VersionVector): Set<string> {
    const out = new Set<string>();
    for (const [replica, { dense, far }] of this.#logs) {
      const first = Math.floor((since.get(replica) + 1) / (1 << BUCKET_BITS));
      for (let b = first; b < dense.length; b++) for (const k of dense[b] ?? []) out.add(k);
      if (far !== undefined) for (const [b, keys] of far) if (b >= first) for (const k of keys) out.add(k);
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
