// registerResolver: the causal machinery every register shares, with a custom read.
import { Timestamp } from "@converge/hlc";
import { type Concurrent, defineResolver, type Resolver, type Stamp } from "../resolver.ts";
import type { StateReader, StateWriter } from "../state-codec.ts";
import { toValue, type Value } from "../value.ts";
import type { ReplicaId, VersionVector } from "../version-vector.ts";
import { clockWalk, joinClocks, NO_CLOCK, normalize } from "./key-clock.ts";
import { mergeRegister } from "./merge-register.ts";
import { checkRegisterOptions, type RegisterOptions } from "./register-options.ts";
import { clockOf, type RegisterState, Sibling, Siblings, siblingsOf } from "./sibling.ts";

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
      // Each pass asks in increasing replica order: one forward walk of `mine` per pass.
      let mineSeq = clockWalk(mine);
      const stale = (r: ReplicaId, s: number): boolean => s > mineSeq(r) && seen(r, s);
      const siblings = siblingsOf(state);
      const clock = clockOf(state);
      let any = false;
      for (let i = 0; i < clock.length && !any; i += 2)
        any = stale(clock[i] as ReplicaId, clock[i + 1] as number);
      if (!any) return state;
      mineSeq = clockWalk(mine);
      const keptSiblings = siblings.filter((s) => !stale(s.replica, s.seq));
      mineSeq = clockWalk(mine);
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
      // Clock entries not implied by a sibling's dot; the header is 2 × siblings + (any extra).
      const c = state instanceof Sibling || state.explicit === undefined ? NO_CLOCK : state.clock;
      const extra: number[] = [];
      if (c.length > 0) {
        // Both sorted by replica: one walk of the siblings' dots.
        const implied = clockWalk(new Siblings(siblings, undefined).clock);
        for (let i = 0; i < c.length; i += 2) if (implied(c[i] as ReplicaId) !== c[i + 1]) extra.push(i);
      }
      w.uint(siblings.length * 2 + (extra.length > 0 ? 1 : 0));
      for (const s of siblings) {
        w.dot(s.replica, s.seq);
        w.time(s.wall, s.counter);
        w.value(s.value);
      }
      if (extra.length === 0) return;
      w.uint(extra.length - 1);
      for (const i of extra) {
        w.replica(c[i] as ReplicaId);
        w.uint(c[i + 1] as number);
      }
    },
    decode: (r: StateReader) => {
      const h = r.count(2, "register header");
      const n = Math.floor(h / 2);
      if (h === 0) r.fail("register state with neither values nor clock");
      const readSibling = (): Sibling => {
        const replica = r.dot();
        const seq = r.lastSeq;
        const wall = r.time(replica);
        return new Sibling(replica, seq, wall, r.lastCounter, r.value());
      };
      // The common case — one sibling, nothing else seen — allocates just the sibling.
      const first = n > 0 ? readSibling() : undefined;
      if (h === 2) return first as Sibling;
      const siblings: Sibling[] = first === undefined ? [] : [first];
      for (let i = 1; i < n; i++) {
        const s = readSibling();
        if (!((siblings[i - 1] as Sibling).replica < s.replica))
          r.fail("register siblings not sorted by replica");
        siblings.push(s);
      }
      const m = h % 2 === 0 ? 0 : r.count(2, "clock entry") + 1;
      const extra: (ReplicaId | number)[] = [];
      const dots = new Siblings(siblings, undefined).clock;
      // Extra entries come in increasing replica order: one walk of the dots.
      const held = clockWalk(dots);
      let last = "";
      for (let i = 0; i < m; i++) {
        const replica = r.replica();
        if (!(replica > last)) r.fail("register clock not sorted by replica");
        last = replica;
        const seq = r.seq();
        // A sibling's own dot is implied; an extra entry for its replica would have to be newer,
        // which would mean the sibling is dominated: not a state encode can produce.
        if (held(replica) > 0) r.fail("clock entry for a replica that holds a sibling");
        extra.push(replica, seq);
      }
      if (m === 0) return new Siblings(siblings, undefined);
      return new Siblings(siblings, joinClocks(dots, extra));
    },
  });
  registers.add(resolver);
  if (newest) newestReaders.add(resolver);
  return resolver;
}
