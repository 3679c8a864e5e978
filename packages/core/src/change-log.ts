import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** Operations per bucket: a query scans at most one partly-old bucket per replica. */
const BUCKET_BITS = 8;

/**
 * A bucket's slots when they are consecutive — slot `first + i` for its i-th entry, as a replica
 * writing new keys (or a bulk load) leaves them — kept as two numbers instead of one per entry.
 */
class SlotRun {
  readonly first: number;
  readonly count: number;
  constructor(first: number, count: number) {
    this.first = first;
    this.count = count;
  }

  /** The run as an array of its slots (to be written again). */
  expand(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.first + i;
    return out;
  }
}

/** The bucket as kept once left: a run when its slots are consecutive, else an exact copy. */
function settled(bucket: readonly number[]): number[] | SlotRun {
  const n = bucket.length;
  const first = bucket[0] as number;
  let i = 1;
  while (i < n && bucket[i] === first + i) i++;
  // An array left by pushes has up to a third of its slots spare (334 for 256 entries).
  return n > 1 && i === n ? new SlotRun(first, n) : bucket.slice();
}

/** Adds the slots of one bucket to `out`. */
function addSlots(out: Set<number>, slots: number[] | SlotRun): void {
  if (slots instanceof SlotRun) for (let i = 0; i < slots.count; i++) out.add(slots.first + i);
  else for (const s of slots) out.add(s);
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
 * consecutive is kept as a {@link SlotRun} once the replica moves on to its next bucket. A slot
 * freed and reused names another key, and superseded entries stay until the log is rebuilt (when
 * they outnumber the live ones): lookups re-check keys against the current state, so a stale
 * entry only costs a check.
 */
export class ChangeLog {
  // Per replica, its buckets by bucket number.
  readonly #logs = new Map<ReplicaId, Map<number, number[] | SlotRun>>();
  /** Per replica, its highest bucket number. */
  readonly #highest = new Map<ReplicaId, number>();
  #entries = 0;
  #stale = 0;

  // The last replica recorded ("" matches no replica id), its log, and the last bucket written.
  #lastReplica: ReplicaId = "";
  #lastLog: Map<number, number[] | SlotRun> | undefined;
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
    if (b > (this.#highest.get(replica) ?? -1)) this.#highest.set(replica, b);
    this.#lastReplica = replica;
    this.#lastLog = log;
    const kept = log.get(b);
    let bucket: number[];
    if (kept === undefined) bucket = [];
    else if (kept instanceof SlotRun) bucket = kept.expand();
    else bucket = kept;
    if (bucket !== kept) log.set(b, bucket);
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
   * Slots that may hold an operation not included in `since` (each at most once; a slot may be
   * free now): those of the buckets at or above `since`'s. A replica's buckets from there are
   * read by number when they are fewer than all of its buckets (a recent vector: a few reads
   * however long the log), else by walking its buckets (1/256 of its operations).
   */
  slotsAfter(since: VersionVector): Set<number> {
    const out = new Set<number>();
    for (const [replica, log] of this.#logs) {
      const first = Math.floor((since.get(replica) + 1) / (1 << BUCKET_BITS));
      const last = this.#highest.get(replica) ?? -1;
      if (last - first + 1 < log.size) {
        for (let b = first; b <= last; b++) {
          const slots = log.get(b);
          if (slots !== undefined) addSlots(out, slots);
        }
      } else for (const [b, slots] of log) if (b >= first) addSlots(out, slots);
    }
    return out;
  }

  clear(): void {
    this.#logs.clear();
    this.#highest.clear();
    this.#lastReplica = "";
    this.#lastLog = undefined;
    this.#lastBucketNumber = -1;
    this.#lastBucket = [];
    this.#entries = 0;
    this.#stale = 0;
  }
}
