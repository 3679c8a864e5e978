import {
  type Concurrent,
  CounterOverflowError,
  defineResolver,
  type ReplicaId,
  type Resolver,
  type Stamp,
  UnsupportedOperationError,
  type VersionVector,
} from "@converge/core";
import type { StateReader, StateWriter } from "@converge/core/codec";
import { Timestamp } from "@converge/hlc";

/**
 * One replica's record in a counter: its cumulative increments `p` and decrements `n`, how much of
 * each deletes have observed (`dp`, `dn`), and the seq and HLC time of its latest operation on the
 * key (an increment, or a delete it made). A record counts the replica's operations on the key
 * with seq above `base`; `(replica, base)` identifies it. Every other field only grows; merge is
 * the fieldwise maximum of records with the same identity.
 *
 * Why `base`: compaction may drop a fully deleted record once every operation on the key is stable.
 * When its replica later counts on the key again it starts a new record (base = the seq before its
 * first new operation) instead of restarting the old running totals, which replicas that have not
 * compacted yet still hold and would otherwise outweigh the new ones under the maximum.
 */
class Tally {
  readonly replica: ReplicaId;
  readonly base: number;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly p: number;
  readonly n: number;
  readonly dp: number;
  readonly dn: number;
  constructor(
    replica: ReplicaId,
    base: number,
    seq: number,
    wall: number,
    counter: number,
    p: number,
    n: number,
    dp: number,
    dn: number,
  ) {
    this.replica = replica;
    this.base = base;
    this.seq = seq;
    this.wall = wall;
    this.counter = counter;
    this.p = p;
    this.n = n;
    this.dp = dp;
    this.dn = dn;
  }
}

/** Records sorted by replica id then base, at most one per (replica, base). */
type CounterState = readonly Tally[];

function live(t: Tally): number {
  return t.p - t.dp - (t.n - t.dn);
}

/**
 * The counter's value. Exact while it is a safe integer; replicas can each stay within range and
 * still merge past 2^53 - 1, and then the value is the nearest double (computed exactly, then
 * rounded once) and further increments are refused with COUNTER_OVERFLOW. Never throws, so a read
 * can't interrupt an apply.
 */
function sum(state: CounterState): number {
  let total = 0;
  for (const t of state) total += live(t);
  if (Number.isSafeInteger(total)) return total;
  let exact = 0n;
  for (const t of state) exact += BigInt(live(t));
  return Number(exact);
}

function joinTally(a: Tally, b: Tally): Tally {
  if (a.seq >= b.seq && a.p >= b.p && a.n >= b.n && a.dp >= b.dp && a.dn >= b.dn) return a;
  if (b.seq >= a.seq && b.p >= a.p && b.n >= a.n && b.dp >= a.dp && b.dn >= a.dn) return b;
  const t = a.seq >= b.seq ? a : b;
  return new Tally(
    a.replica,
    a.base,
    t.seq,
    t.wall,
    t.counter,
    Math.max(a.p, b.p),
    Math.max(a.n, b.n),
    Math.max(a.dp, b.dp),
    Math.max(a.dn, b.dn),
  );
}

/** Record order: replica id, then base. */
function compareIds(x: Tally, y: Tally): number {
  if (x.replica !== y.replica) return x.replica < y.replica ? -1 : 1;
  return x.base - y.base;
}

function byId(x: Tally, y: Tally): number {
  return compareIds(x, y);
}

function merge(a: CounterState, b: CounterState): CounterState {
  if (a === b) return a;
  // Sized for the most records the merge can hold (no regrowth), trimmed at the end.
  const out = new Array<Tally>(a.length + b.length);
  let k = 0;
  let i = 0;
  let j = 0;
  let sameAsA = true;
  let sameAsB = true;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    let t: Tally;
    const order = x === undefined ? 1 : y === undefined ? -1 : compareIds(x, y);
    if (order < 0) {
      t = x as Tally;
      sameAsB = false;
      i++;
    } else if (order > 0) {
      t = y as Tally;
      sameAsA = false;
      j++;
    } else {
      t = joinTally(x as Tally, y as Tally);
      if (t !== x) sameAsA = false;
      if (t !== y) sameAsB = false;
      i++;
      j++;
    }
    out[k++] = t;
  }
  if (sameAsA) return a;
  if (sameAsB) return b;
  out.length = k;
  return out;
}

function counterResolver(id: "gcounter" | "pncounter", allowNegative: boolean): Resolver<number, number> {
  return defineResolver<number, number, CounterState>({
    id,
    // 2: records carry a base (see Tally), so a replica's counting after compaction stays exact.
    version: 2,
    increment: (state = [], amount: number, stamp: Stamp) => {
      if (amount < 0 && !allowNegative) {
        throw new UnsupportedOperationError("a gcounter only grows; use a pncounter to decrement");
      }
      // A replica holds at most one record of its own: stale copies of one it compacted away are
      // stopped by `forget`, so it never sees two.
      const out: Tally[] = [];
      let mine: Tally | undefined;
      for (const t of state) {
        if (t.replica === stamp.replica) mine = t;
        else out.push(t);
      }
      const p = (mine?.p ?? 0) + Math.max(amount, 0);
      const n = (mine?.n ?? 0) + Math.max(-amount, 0);
      if (!Number.isSafeInteger(p) || !Number.isSafeInteger(n)) {
        throw new CounterOverflowError(`replica ${stamp.replica}'s total would leave the safe-integer range`);
      }
      const next = new Tally(
        stamp.replica,
        mine?.base ?? stamp.seq - 1,
        stamp.seq,
        stamp.time.wall,
        stamp.time.counter,
        p,
        n,
        mine?.dp ?? 0,
        mine?.dn ?? 0,
      );
      out.push(next);
      out.sort(byId);
      if (!Number.isSafeInteger(sum(state) + amount)) {
        throw new CounterOverflowError(`counter would leave the safe-integer range`);
      }
      return out;
    },
    remove: (state, stamp) => {
      const out: Tally[] = [];
      let seenSelf = false;
      for (const t of state) {
        if (t.replica === stamp.replica) {
          seenSelf = true;
          out.push(
            new Tally(t.replica, t.base, stamp.seq, stamp.time.wall, stamp.time.counter, t.p, t.n, t.p, t.n),
          );
        } else {
          out.push(
            t.dp === t.p && t.dn === t.n
              ? t
              : new Tally(t.replica, t.base, t.seq, t.wall, t.counter, t.p, t.n, t.p, t.n),
          );
        }
      }
      if (!seenSelf) {
        out.push(
          new Tally(stamp.replica, stamp.seq - 1, stamp.seq, stamp.time.wall, stamp.time.counter, 0, 0, 0, 0),
        );
        out.sort(byId);
      }
      return out;
    },
    merge,
    read: (state) => (state.some((t) => t.p > t.dp || t.n > t.dn) ? sum(state) : undefined),
    exists: (state) => state.some((t) => t.p > t.dp || t.n > t.dn),
    conflicts: (state) =>
      state
        .filter((t) => t.p > t.dp || t.n > t.dn)
        .map(
          (t): Concurrent<number> => ({
            value: live(t),
            replica: t.replica,
            seq: t.seq,
            time: new Timestamp(t.wall, t.counter, t.replica),
          }),
        ),
    versions: (state, visit) => {
      // Records of one replica are adjacent (sorted by replica, then base): visit its highest seq.
      for (let i = 0; i < state.length; i++) {
        const t = state[i] as Tally;
        let top = t.seq;
        while (i + 1 < state.length && (state[i + 1] as Tally).replica === t.replica) {
          i++;
          top = Math.max(top, (state[i] as Tally).seq);
        }
        visit(t.replica, top);
      }
    },
    compact: (state, stable: VersionVector) => {
      // Only when every operation on the key is stable (every replica has seen the deletes too):
      // then fully deleted records are dropped, and the entry with them when nothing is live.
      // Live records keep their running totals, which other replicas' copies still build on.
      for (const t of state) if (!stable.includes(t.replica, t.seq)) return state;
      const kept = state.filter((t) => t.p > t.dp || t.n > t.dn);
      return kept.length === 0 ? undefined : kept.length === state.length ? state : kept;
    },
    // A record whose latest operation this replica has seen, but of which it holds no record with
    // the same identity, was compacted away here after every replica saw it deleted: a stale copy.
    forget: (state, local, seen) => {
      const stale = (t: Tally): boolean =>
        seen(t.replica, t.seq) && !(local ?? []).some((l) => l.replica === t.replica && l.base === t.base);
      if (!state.some(stale)) return state;
      const kept = state.filter((t) => !stale(t));
      return kept.length === 0 ? undefined : kept;
    },
    encode: (state, w: StateWriter) => {
      w.uint(state.length);
      for (const t of state) {
        w.replica(t.replica);
        w.uint(t.seq);
        w.uint(t.seq - 1 - t.base);
        w.time(t.wall, t.counter);
        w.uint(t.p);
        w.uint(t.p - t.dp);
        w.uint(t.n);
        w.uint(t.n - t.dn);
      }
    },
    decode: (r: StateReader) => {
      const count = r.count(9, "counter record");
      if (count === 0) r.fail("counter with no records");
      const out: Tally[] = [];
      let last: Tally | undefined;
      for (let i = 0; i < count; i++) {
        const replica = r.replica();
        const seq = r.seq();
        const span = r.uint();
        if (span >= seq) r.fail("counter record starts before the first operation");
        const base = seq - 1 - span;
        const wall = r.time(replica);
        const counter = r.lastCounter;
        const p = r.uint();
        const pLive = r.uint();
        const n = r.uint();
        const nLive = r.uint();
        if (pLive > p || nLive > n) r.fail("counter record deletes more than it counted");
        if (!allowNegative && n !== 0) r.fail("gcounter record with decrements");
        const t = new Tally(replica, base, seq, wall, counter, p, n, p - pLive, n - nLive);
        if (last !== undefined && compareIds(last, t) >= 0)
          r.fail("counter records not sorted by replica and base");
        out.push(t);
        last = t;
      }
      return out;
    },
  });
}

/**
 * Grow-only counter. `increment` by a positive safe integer; value = sum of every replica's
 * increments not observed by a delete. Increments commute; exact for every safe integer (a total
 * outside the safe range is refused with `COUNTER_OVERFLOW`). `delete` is observed-remove: it
 * zeroes what the deleting replica had seen, so a concurrent increment survives it (5, deleted on
 * one replica while another adds 1, reads 1).
 */
export function gcounter(): Resolver<number, number> {
  return GCOUNTER;
}

/**
 * Positive-negative counter: as {@link gcounter}, with `decrement` (or a negative increment).
 * Value = Σ increments − Σ decrements, excluding what observed deletes removed.
 */
export function pncounter(): Resolver<number, number> {
  return PNCOUNTER;
}

// One immutable instance each: every gcounter() / pncounter() is the same resolver.
const GCOUNTER: Resolver<number, number> = counterResolver("gcounter", false);
const PNCOUNTER: Resolver<number, number> = counterResolver("pncounter", true);
