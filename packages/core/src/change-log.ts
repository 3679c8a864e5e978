import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** One replica's log: seqs with the key each touched, a sorted prefix and an unsorted tail. */
class ReplicaLog {
  seqs: number[] = [];
  keys: string[] = [];
  sorted = 0;

  push(seq: number, key: string): void {
    const n = this.seqs.length;
    if (this.sorted === n && (n === 0 || (this.seqs[n - 1] as number) <= seq)) this.sorted = n + 1;
    this.seqs.push(seq);
    this.keys.push(key);
    const tail = this.seqs.length - this.sorted;
    if (tail > 1024 && tail > this.sorted / 4) this.sort();
  }

  sort(): void {
    const order = this.seqs
      .map((_, i) => i)
      .sort((a, b) => (this.seqs[a] as number) - (this.seqs[b] as number));
    this.seqs = order.map((i) => this.seqs[i] as number);
    this.keys = order.map((i) => this.keys[i] as string);
    this.sorted = this.seqs.length;
  }

  /** Calls `visit` for every logged key with a seq above `since`. */
  after(since: number, visit: (key: string) => void): void {
    const seqs = this.seqs;
    let lo = 0;
    let hi = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((seqs[mid] as number) <= since) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.sorted; i++) visit(this.keys[i] as string);
    for (let i = this.sorted; i < seqs.length; i++)
      if ((seqs[i] as number) > since) visit(this.keys[i] as string);
  }
}

/**
 * Index from (replica, seq) to the keys whose state holds that replica's operation `seq`, so a
 * delta since a version vector is found in time proportional to what changed, not to the map.
 * Superseded entries stay until the log is rebuilt (when they outnumber the live ones); lookups
 * re-check keys against the current state, so a stale entry only costs a check.
 */
export class ChangeLog {
  readonly #logs = new Map<ReplicaId, ReplicaLog>();
  #entries = 0;
  #stale = 0;

  record(replica: ReplicaId, seq: number, key: string): void {
    let log = this.#logs.get(replica);
    if (log === undefined) {
      log = new ReplicaLog();
      this.#logs.set(replica, log);
    }
    log.push(seq, key);
    this.#entries++;
  }

  /** Notes that an earlier entry was superseded; returns true when a rebuild is due. */
  superseded(count = 1): boolean {
    this.#stale += count;
    return this.#stale > 4096 && this.#stale * 2 > this.#entries;
  }

  /** Keys that may hold an operation not included in `since` (each at most once). */
  keysAfter(since: VersionVector): Set<string> {
    const out = new Set<string>();
    const add = (k: string): void => {
      out.add(k);
    };
    for (const [replica, log] of this.#logs) log.after(since.get(replica), add);
    return out;
  }

  clear(): void {
    this.#logs.clear();
    this.#entries = 0;
    this.#stale = 0;
  }
}
