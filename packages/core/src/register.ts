import { Timestamp } from "@converge/hlc";
import { type Concurrent, defineResolver, type Resolver, type Stamp } from "./resolver.ts";
import type { StateReader, StateWriter } from "./state-codec.ts";
import { checkRegisterOptions } from "./validate-options.ts";
import { toValue, type Value } from "./value.ts";
import type { ReplicaId, VersionVector } from "./version-vector.ts";

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

type RegisterState = Sibling | Siblings;

function siblingsOf(s: RegisterState): readonly Sibling[] {
  return s instanceof Sibling ? [s] : s.siblings;
}

function clockOf(s: RegisterState): readonly (ReplicaId | number)[] {
  return s instanceof Sibling ? [s.replica, s.seq] : s.clock;
}

const NO_CLOCK: readonly (ReplicaId | number)[] = [];

function clockSeq(clock: readonly (ReplicaId | number)[], replica: ReplicaId): number {
  for (let i = 0; i < clock.length; i += 2) if (clock[i] === replica) return clock[i + 1] as number;
  return 0;
}

function joinClocks(
  a: readonly (ReplicaId | number)[],
  b: readonly (ReplicaId | number)[],
): (ReplicaId | number)[] {
  const out: (ReplicaId | number)[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ra = a[i] as ReplicaId | undefined;
    const rb = b[j] as ReplicaId | undefined;
    if (rb === undefined || (ra !== undefined && ra < rb)) {
      out.push(ra as ReplicaId, a[i + 1] as number);
      i += 2;
    } else if (ra === undefined || rb < ra) {
      out.push(rb, b[j + 1] as number);
      j += 2;
    } else {
      out.push(ra, Math.max(a[i + 1] as number, b[j + 1] as number));
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** Builds the smallest representation of (siblings, clock). */
function normalize(siblings: readonly Sibling[], clock: readonly (ReplicaId | number)[]): RegisterState {
  const only = siblings[0];
  if (siblings.length === 1 && only !== undefined && clock.length === 2 && clock[0] === only.replica)
    return only;
  return new Siblings(siblings, clock);
}

function sameClock(a: readonly (ReplicaId | number)[], b: readonly (ReplicaId | number)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function mergeRegister(a: RegisterState, b: RegisterState): RegisterState {
  if (a === b) return a;
  // Fast path: two lone siblings.
  if (a instanceof Sibling && b instanceof Sibling) {
    if (a.replica === b.replica) return a.seq >= b.seq ? a : b;
    const [x, y] = a.replica < b.replica ? [a, b] : [b, a];
    return new Siblings([x, y], undefined);
  }
  const ca = clockOf(a);
  const cb = clockOf(b);
  const sa = siblingsOf(a);
  const sb = siblingsOf(b);
  const out: Sibling[] = [];
  let i = 0;
  let j = 0;
  // Both sibling lists are sorted by replica id; at most one sibling per replica on each side.
  while (i < sa.length || j < sb.length) {
    const x = sa[i];
    const y = sb[j];
    if (y === undefined || (x !== undefined && x.replica < y.replica)) {
      if ((x as Sibling).seq > clockSeq(cb, (x as Sibling).replica)) out.push(x as Sibling);
      i++;
    } else if (x === undefined || y.replica < x.replica) {
      if (y.seq > clockSeq(ca, y.replica)) out.push(y);
      j++;
    } else {
      // Same replica on both sides: the higher seq is the later write of that replica.
      if (x.seq === y.seq) out.push(x);
      else if (x.seq > y.seq) {
        if (x.seq > clockSeq(cb, x.replica)) out.push(x);
      } else if (y.seq > clockSeq(ca, y.replica)) out.push(y);
      i++;
      j++;
    }
  }
  const clock = joinClocks(ca, cb);
  // Preserve identity when nothing changed, so callers can detect no-ops cheaply.
  if (sameClock(clock, ca) && out.length === sa.length && out.every((s, k) => s === sa[k])) return a;
  if (sameClock(clock, cb) && out.length === sb.length && out.every((s, k) => s === sb[k])) return b;
  return normalize(out, clock);
}

function toConcurrent<V>(s: Sibling): Concurrent<V> {
  return {
    value: s.value as V,
    replica: s.replica,
    seq: s.seq,
    time: new Timestamp(s.wall, s.counter, s.replica),
  };
}

/** Newest first: by HLC time descending (node id breaks ties). */
function byTimeDesc(x: Sibling, y: Sibling): number {
  if (x.wall !== y.wall) return y.wall - x.wall;
  if (x.counter !== y.counter) return y.counter - x.counter;
  return x.replica < y.replica ? 1 : x.replica > y.replica ? -1 : 0;
}

/** Resolvers built by {@link registerResolver}: their lone values may take the decoder's fast lane. */
const registers = new WeakSet<object>();

/** Registers whose read is the newest write's value (`readsNewest`). */
const newestReaders = new WeakSet<object>();

/** @internal True for registers declared `readsNewest`: reads may come straight from packed columns. */
export function readsNewest(resolver: object): boolean {
  return newestReaders.has(resolver);
}

/** @internal True for resolvers made by {@link registerResolver}. */
export function isRegister(resolver: object): boolean {
  return registers.has(resolver);
}

/** Options of {@link registerResolver}. */
export interface RegisterOptions<In, Out> {
  /** Stable id of the resolver, e.g. `"lww"`. */
  readonly id: string;
  /** Positive integer version. */
  readonly version: number;
  /**
   * Reads the concurrent values of a key as one value. Receives them newest first (HLC time
   * descending, node id breaking ties), never empty; must be deterministic and must not depend on
   * anything but its argument. A single value is passed as a one-element array.
   */
  readonly resolve: (values: readonly Concurrent<In>[]) => Out;
  /** Validates and freezes a value before it is written; default {@link toValue}. */
  readonly accept?: (value: In) => In;
  /**
   * Reads many keys' concurrent values at once (same contract as `resolve`, one result per
   * list; `undefined` for one that should be read again later). When given, states merged by an
   * apply are read in one batch and cached per state.
   */
  readonly resolveMany?: (lists: readonly (readonly Concurrent<In>[])[]) => readonly (Out | undefined)[];
  /**
   * Declares that `resolve` always returns the newest write's value (`values[0].value`), as lww
   * does. Reads then skip building the list of concurrent values (and can come straight from the
   * map's packed columns); `resolve` is not called. Default false.
   */
  readonly readsNewest?: boolean;
}

/**
 * A register resolver: the causal machinery every register-like rule shares, with a custom read.
 *
 * - A write replaces every value the writing replica had seen on the key (causally later wins).
 * - Concurrent writes are all kept (as siblings; see `conflicts`) until a write that saw them
 *   replaces them; `resolve` decides what the key reads as meanwhile.
 * - `delete` is observed-remove: it erases the values the deleting replica had seen; concurrent
 *   writes survive it (add-wins).
 * - Merge keeps a sibling unless the other side has seen its dot and no longer holds it, and joins
 *   the key clocks pointwise: commutative, associative, idempotent.
 *
 * @example
 * const latestWins = registerResolver({ id: "lww", version: 1, resolve: (vs) => vs[0].value });
 */
export function registerResolver<In extends Value, Out>(
  options: RegisterOptions<In, Out>,
): Resolver<In, Out> {
  checkRegisterOptions(options);
  const { resolve, resolveMany } = options;
  const newest = options.readsNewest === true;
  const accept = options.accept ?? ((v: In) => toValue(v) as In);
  // Reads of multi-value states computed in a batch by `resolveMany`, per (immutable) state.
  const cache = new WeakMap<Siblings, Out>();
  const concurrentOf = (state: Siblings): Concurrent<In>[] =>
    [...state.siblings].sort(byTimeDesc).map((s) => toConcurrent<In>(s));

  const resolver = defineResolver<In, Out, RegisterState>({
    id: options.id,
    version: options.version,
    set: (state, value, stamp: Stamp) => {
      const v = accept(value);
      const sibling = new Sibling(stamp.replica, stamp.seq, stamp.time.wall, stamp.time.counter, v);
      if (state === undefined) return sibling;
      const clock = joinClocks(clockOf(state), [stamp.replica, stamp.seq]);
      return normalize([sibling], clock);
    },
    remove: (state, stamp) => new Siblings([], joinClocks(clockOf(state), [stamp.replica, stamp.seq])),
    merge: mergeRegister,
    read: (state) => {
      if (newest) {
        if (state instanceof Sibling) return state.value as Out;
        const list = state.siblings;
        let best = list[0];
        for (let i = 1; i < list.length; i++) {
          const s = list[i] as Sibling;
          if (byTimeDesc(s, best as Sibling) < 0) best = s;
        }
        return best === undefined ? undefined : (best.value as Out);
      }
      if (state instanceof Sibling) return resolve([toConcurrent<In>(state)]);
      if (state.siblings.length === 0) return undefined;
      if (cache.has(state)) return cache.get(state);
      return resolve(concurrentOf(state));
    },
    ...(resolveMany === undefined
      ? {}
      : {
          prepare: (states: readonly RegisterState[]) => {
            const pending = states.filter(
              (s): s is Siblings => s instanceof Siblings && s.siblings.length > 1 && !cache.has(s),
            );
            if (pending.length === 0) return;
            const results = resolveMany(pending.map(concurrentOf));
            // An undefined result is not cached: that key is read one by one later.
            pending.forEach((s, i) => {
              const r = results[i];
              if (r !== undefined) cache.set(s, r);
            });
          },
        }),
    exists: (state) => state instanceof Sibling || state.siblings.length > 0,
    conflicts: (state) => [...siblingsOf(state)].sort(byTimeDesc).map((s) => toConcurrent<In>(s)),
    versions: (state, visit) => {
      if (state instanceof Sibling) return visit(state.replica, state.seq);
      if (state.explicit === undefined) {
        const list = state.siblings;
        for (let i = 0; i < list.length; i++) {
          const s = list[i] as Sibling;
          visit(s.replica, s.seq);
        }
        return;
      }
      const c = state.clock;
      for (let i = 0; i < c.length; i += 2) visit(c[i] as ReplicaId, c[i + 1] as number);
    },
    compact: (state, stable: VersionVector) => {
      // Only a key whose every operation is stable is compacted: then every replica has seen the
      // writes and deletes that overwrote each non-live clock entry, so none of them is needed
      // to reach the same read anywhere (stale copies are stopped by `forget`). A tombstone goes;
      // a live register keeps just its siblings. Otherwise the key clock is kept whole.
      if (state instanceof Sibling) return state;
      const c = state.clock;
      for (let i = 0; i < c.length; i += 2) {
        if (!stable.includes(c[i] as ReplicaId, c[i + 1] as number)) return state;
      }
      if (state.siblings.length === 0) return undefined;
      if (state.explicit === undefined) return state;
      return state.siblings.length === 1
        ? (state.siblings[0] as Sibling)
        : new Siblings(state.siblings, undefined);
    },
    forget: (state, local, seen) => {
      // A part made by an operation this replica has seen, beyond what its own key clock holds,
      // was collected here after every replica saw it overwritten or deleted: a stale copy.
      const mine = local === undefined ? NO_CLOCK : clockOf(local);
      const stale = (r: ReplicaId, s: number): boolean => s > clockSeq(mine, r) && seen(r, s);
      const siblings = siblingsOf(state);
      const clock = clockOf(state);
      let any = false;
      for (let i = 0; i < clock.length && !any; i += 2)
        any = stale(clock[i] as ReplicaId, clock[i + 1] as number);
      if (!any) return state;
      const keptSiblings = siblings.filter((s) => !stale(s.replica, s.seq));
      const keptClock: (ReplicaId | number)[] = [];
      for (let i = 0; i < clock.length; i += 2) {
        if (!stale(clock[i] as ReplicaId, clock[i + 1] as number))
          keptClock.push(clock[i] as ReplicaId, clock[i + 1] as number);
      }
      if (keptClock.length === 0) return undefined;
      if (keptSiblings.length >= 2 && keptClock.length === keptSiblings.length * 2) {
        return new Siblings(keptSiblings, undefined);
      }
      return normalize(keptSiblings, keptClock);
    },
    encode: (state, w: StateWriter) => {
      const siblings = siblingsOf(state);
      w.uint(siblings.length);
      for (const s of siblings) {
        w.replica(s.replica);
        w.uint(s.seq);
        w.time(s.wall, s.counter);
        w.value(s.value);
      }
      // Clock entries not implied by a sibling's dot.
      if (state instanceof Sibling) return w.uint(0);
      const c = state.clock;
      let extra = 0;
      for (let i = 0; i < c.length; i += 2)
        if (!siblings.some((s) => s.replica === c[i] && s.seq === c[i + 1])) extra++;
      w.uint(extra);
      for (let i = 0; i < c.length; i += 2) {
        if (siblings.some((s) => s.replica === c[i] && s.seq === c[i + 1])) continue;
        w.replica(c[i] as ReplicaId);
        w.uint(c[i + 1] as number);
      }
    },
    decode: (r: StateReader) => {
      const n = r.count(4, "sibling");
      const readSibling = (): Sibling => {
        const replica = r.replica();
        const seq = r.seq();
        const wall = r.time(replica);
        return new Sibling(replica, seq, wall, r.lastCounter, r.value());
      };
      // The common case — one sibling, nothing else seen — allocates just the sibling.
      const first = n > 0 ? readSibling() : undefined;
      if (n === 1 && r.remaining > 0 && r.peek() === 0) {
        r.uint();
        return first as Sibling;
      }
      const siblings: Sibling[] = first === undefined ? [] : [first];
      for (let i = 1; i < n; i++) {
        const s = readSibling();
        if (!((siblings[i - 1] as Sibling).replica < s.replica))
          r.fail("register siblings not sorted by replica");
        siblings.push(s);
      }
      const m = r.count(2, "clock entry");
      if (m === 0 && n === 0) r.fail("register state with neither values nor clock");
      const extra: (ReplicaId | number)[] = [];
      let last = "";
      for (let i = 0; i < m; i++) {
        const replica = r.replica();
        if (!(replica > last)) r.fail("register clock not sorted by replica");
        last = replica;
        const seq = r.seq();
        // A sibling's own dot is implied; an extra entry for its replica would have to be newer,
        // which would mean the sibling is dominated: not a state encode can produce.
        if (siblings.some((s) => s.replica === replica))
          r.fail("clock entry for a replica that holds a sibling");
        extra.push(replica, seq);
      }
      if (m === 0) return new Siblings(siblings, undefined);
      return new Siblings(
        siblings,
        joinClocks(
          siblings.flatMap((s) => [s.replica, s.seq]),
          extra,
        ),
      );
    },
  });
  registers.add(resolver);
  if (newest) newestReaders.add(resolver);
  return resolver;
}
