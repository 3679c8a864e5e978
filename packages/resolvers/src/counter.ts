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
 *
 * A counter's state is its last record; `prev` links each record to the one before it (records
 * sorted by replica id then base, at most one per identity). States share their lower records, so
 * a merge that adds records after all of a state's allocates only those: a fresh replica taking k
 * replicas' states one by one builds each key in O(k), where copying arrays of records took O(k²).
 */
interface Tally {
  readonly replica: ReplicaId;
  readonly base: number;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly p: number;
  readonly n: number;
  readonly dp: number;
  readonly dn: number;
  readonly prev: Tally | undefined;
}

function tally(
  replica: ReplicaId,
  base: number,
  seq: number,
  wall: number,
  counter: number,
  p: number,
  n: number,
  dp: number,
  dn: number,
  prev?: Tally,
): Tally {
  // Every record has this one shape: copies spread it.
  return { replica, base, seq, wall, counter, p, n, dp, dn, prev };
}

type CounterState = Tally;

/** `t` on top of `prev`: `t` itself when it already is. */
function on(t: Tally, prev: Tally | undefined): Tally {
  // Built field by field: V8 clones a spread about half as fast.
  return t.prev === prev ? t : tally(t.replica, t.base, t.seq, t.wall, t.counter, t.p, t.n, t.dp, t.dn, prev);
}

/** The state of sorted `list` on top of `prev` (reusing the records already linked so). */
function chain(list: readonly Tally[], prev?: Tally): Tally | undefined {
  let s = prev;
  for (const t of list) s = on(t, s);
  return s;
}

/** The records of a state, in order. */
function records(s: Tally): Tally[] {
  const out: Tally[] = [];
  for (let t: Tally | undefined = s; t; t = t.prev) out.push(t);
  return out.reverse();
}

function isLive(t: Tally): boolean {
  return t.p > t.dp || t.n > t.dn;
}

function live(t: Tally): number {
  return t.p - t.dp - (t.n - t.dn);
}

function exists(s: Tally): boolean {
  for (let t: Tally | undefined = s; t; t = t.prev) if (isLive(t)) return true;
  return false;
}

/**
 * The counter's value. Exact while it is a safe integer; replicas can each stay within range and
 * still merge past 2^53 - 1, and then the value is the nearest double (computed exactly, then
 * rounded once) and further increments are refused with COUNTER_OVERFLOW. Never throws, so a read
 * can't interrupt an apply.
 */
function sum(s: Tally): number {
  // Exact while every partial sum is safe; one that is not may round and come back in range.
  let total = 0;
  let t: Tally | undefined = s;
  for (; t && Number.isSafeInteger(total); t = t.prev) total += live(t);
  if (t === undefined && Number.isSafeInteger(total)) return total;
  let exact = 0n;
  for (let t: Tally | undefined = s; t; t = t.prev) exact += BigInt(live(t));
  return Number(exact);
}

/** Whether `a` is at least `b` in every field that grows. */
function covers(a: Tally, b: Tally): boolean {
  return a.seq >= b.seq && a.p >= b.p && a.n >= b.n && a.dp >= b.dp && a.dn >= b.dn;
}

function joinTally(a: Tally, b: Tally): Tally {
  if (covers(a, b)) return a;
  if (covers(b, a)) return b;
  return {
    ...(a.seq >= b.seq ? a : b),
    p: Math.max(a.p, b.p),
    n: Math.max(a.n, b.n),
    dp: Math.max(a.dp, b.dp),
    dn: Math.max(a.dn, b.dn),
  };
}

/** Record order: replica id, then base. */
function compareIds(x: Tally, y: Tally): number {
  if (x.replica !== y.replica) return x.replica < y.replica ? -1 : 1;
  return x.base - y.base;
}

/**
 * Whether state `s` has a record with the identity of each `t` asked, asked in record order: one
 * forward walk of `s`'s records in all (a walk per record would be quadratic in the replicas).
 */
function holder(s: Tally | undefined): (t: Tally) => boolean {
  const list = s === undefined ? [] : records(s);
  let k = 0;
  return (t) => {
    while (k < list.length && compareIds(list[k] as Tally, t) < 0) k++;
    return k < list.length && compareIds(list[k] as Tally, t) === 0;
  };
}

/** The first record of a state. */
function first(s: Tally): Tally {
  let t = s;
  while (t.prev) t = t.prev;
  return t;
}

function merge(a: CounterState, b: CounterState): CounterState {
  if (a === b) return a;
  // Every record of b after every record of a (a fresh replica taking states): link b's on a's,
  // a lone record (most incoming states) without listing it.
  if (compareIds(a, first(b)) < 0) return b.prev === undefined ? on(b, a) : (chain(records(b), a) as Tally);
  const x = records(a);
  const y = records(b);
  const out: Tally[] = [];
  let i = 0;
  let j = 0;
  let sameAsA = true;
  let sameAsB = true;
  while (i < x.length || j < y.length) {
    const u = x[i];
    const v = y[j];
    const order = u === undefined ? 1 : v === undefined ? -1 : compareIds(u, v);
    const t = order < 0 ? (u as Tally) : order > 0 ? (v as Tally) : joinTally(u as Tally, v as Tally);
    if (order <= 0) i++;
    if (order >= 0) j++;
    if (t !== u) sameAsA = false;
    if (t !== v) sameAsB = false;
    out.push(t);
  }
  return sameAsA ? a : sameAsB ? b : (chain(out) as Tally);
}

function counterResolver(id: "gcounter" | "pncounter", allowNegative: boolean): Resolver<number, number> {
  return defineResolver<number, number, CounterState>({
    id,
    // 2: records carry a base (see Tally), so a replica's counting after compaction stays exact.
    version: 2,
    increment: (state, amount: number, stamp: Stamp) => {
      if (amount < 0 && !allowNegative) {
        throw new UnsupportedOperationError("a gcounter only grows; use a pncounter to decrement");
      }
      // A replica holds at most one record of its own (stale copies of one it compacted away are
      // stopped by `forget`, so it never sees two); the new one dominates it, and merging replaces it.
      const { replica, seq, time } = stamp;
      let mine = tally(replica, seq - 1, 0, 0, 0, 0, 0, 0, 0);
      for (let t = state; t; t = t.prev) {
        if (t.replica === replica) {
          mine = t;
          break;
        }
      }
      const p = mine.p + Math.max(amount, 0);
      const n = mine.n + Math.max(-amount, 0);
      if (!Number.isSafeInteger(p) || !Number.isSafeInteger(n)) {
        throw new CounterOverflowError(`replica ${replica}'s total would leave the safe-integer range`);
      }
      const next = { ...mine, seq, wall: time.wall, counter: time.counter, p, n, prev: undefined };
      if (state === undefined) return next;
      if (!Number.isSafeInteger(sum(state) + amount)) {
        throw new CounterOverflowError(`counter would leave the safe-integer range`);
      }
      return merge(state, next);
    },
    remove: (state, stamp) => {
      // Every record fully deleted; the deleting replica's carries the delete's seq and time.
      const own = tally(
        stamp.replica,
        stamp.seq - 1,
        stamp.seq,
        stamp.time.wall,
        stamp.time.counter,
        0,
        0,
        0,
        0,
      );
      let self = false;
      let s: Tally | undefined;
      for (const t of records(state)) {
        const mine = t.replica === stamp.replica;
        self ||= mine;
        const { seq, wall, counter } = mine ? own : t;
        s = { ...t, seq, wall, counter, dp: t.p, dn: t.n, prev: s };
      }
      return self ? (s as Tally) : merge(s as Tally, own);
    },
    merge,
    read: (state) => (exists(state) ? sum(state) : undefined),
    exists,
    conflicts: (state) =>
      records(state)
        .filter(isLive)
        .map(
          (t): Concurrent<number> => ({
            value: live(t),
            replica: t.replica,
            seq: t.seq,
            time: new Timestamp(t.wall, t.counter, t.replica),
          }),
        ),
    versions: (state, visit) => {
      if (state.prev === undefined) {
        visit(state.replica, state.seq);
        return;
      }
      // Records of one replica are adjacent (sorted by replica, then base): visit its highest seq.
      const list = records(state);
      for (let i = 0; i < list.length; i++) {
        const t = list[i] as Tally;
        let top = t.seq;
        while ((list[i + 1] as Tally | undefined)?.replica === t.replica)
          top = Math.max(top, (list[++i] as Tally).seq);
        visit(t.replica, top);
      }
    },
    compact: (state, stable: VersionVector) => {
      // Only when every operation on the key is stable (every replica has seen the deletes too):
      // then fully deleted records are dropped, and the entry with them when nothing is live.
      // Live records keep their running totals, which other replicas' copies still build on.
      const list = records(state);
      if (!list.every((t) => stable.includes(t.replica, t.seq))) return state;
      return chain(list.filter(isLive));
    },
    // A record whose latest operation this replica has seen, but of which it holds no record with
    // the same identity, was compacted away here after every replica saw it deleted: a stale copy.
    forget: (state, local, seen) => {
      // A lone record not seen here (most incoming states) passes without listing anything.
      if (state.prev === undefined) {
        return !seen(state.replica, state.seq) || holder(local)(state) ? state : undefined;
      }
      // Made on the first record seen here: most barriers have none, and then cost no list.
      let holds: ((t: Tally) => boolean) | undefined;
      return chain(
        records(state).filter((t) => {
          if (!seen(t.replica, t.seq)) return true;
          holds ??= holder(local);
          return holds(t);
        }),
      );
    },
    encode: (state, w: StateWriter) => {
      const list = records(state);
      w.uint(list.length);
      for (const t of list) {
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
        const t = tally(replica, base, seq, wall, counter, p, n, p - pLive, n - nLive, last);
        if (last && compareIds(last, t) >= 0) r.fail("counter records not sorted by replica and base");
        last = t;
      }
      return last as Tally;
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
