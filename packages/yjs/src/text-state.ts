import type { ReplicaId } from "@converge/core";
import { type ClockEntry, covers, type Dot, dominates, joinClocks, mergeLive, sameDots } from "./dots.ts";

/** One operation's Yjs update, kept until a compaction folds it into the base. */
export interface Entry {
  readonly replica: ReplicaId;
  readonly seq: number;
  /** The Yjs update (v1) of exactly this operation's transaction. */
  readonly update: Uint8Array;
}

/**
 * The state of a text key: the Yjs document is the union of `base` (a canonical update holding
 * every operation on the key up to `baseClock`, written by a compaction) and the updates of the
 * later operations, one entry per operation. Keeping operations apart until every replica has
 * seen them makes merge a set union — exactly commutative, associative and idempotent at the
 * byte level, whatever Yjs's own merges of updates would produce — and lets a delta or an op
 * carry only the entries its receiver lacks.
 *
 * Around the document: the key clock (each replica's newest operation on the key, with its time)
 * and the live edits (each replica's newest edit that no delete has observed), which decide
 * whether the key exists, as a register's siblings do.
 */
export class TextState {
  readonly clock: readonly ClockEntry[];
  readonly live: readonly Dot[];
  readonly base: Uint8Array | undefined;
  readonly baseClock: readonly Dot[];
  readonly entries: readonly Entry[];
  /**
   * @internal What the caches derived from this state — the document (DocCache), the plain
   * text's view (ViewCache), the read of a plain and of a rich text key — or `undefined`. Never
   * part of the state's value. Kept on the state rather than in WeakMaps: a WeakMap insertion per
   * merged key cost more than the merge itself.
   */
  docSlot: unknown = undefined;
  /** @internal See {@link TextState.docSlot}. */
  viewSlot: unknown = undefined;
  /** @internal See {@link TextState.docSlot}. */
  plainRead: string | undefined = undefined;
  /** @internal See {@link TextState.docSlot}. */
  richRead: unknown = undefined;
  constructor(
    clock: readonly ClockEntry[],
    live: readonly Dot[],
    base: Uint8Array | undefined,
    baseClock: readonly Dot[],
    entries: readonly Entry[],
  ) {
    this.clock = clock;
    this.live = live;
    this.base = base;
    this.baseClock = baseClock;
    this.entries = entries;
  }
}

/** Byte order of two byte strings (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  if (n >= 64) i = equalPrefix(a, b, n);
  // From the first differing word (or the start), byte by byte: the first differing byte decides.
  for (; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/**
 * A length, a multiple of 4 up to `n` or less, over which `a` and `b` are surely equal: equal words
 * skipped four bytes a step (the common case: two copies of one operation's update compare
 * equal). Views at the same offset modulo 4 read through word views after their first bytes; views
 * at different ones through data views, which load words from any offset.
 */
function equalPrefix(a: Uint8Array, b: Uint8Array, n: number): number {
  const phase = a.byteOffset & 3;
  if (phase === (b.byteOffset & 3)) {
    const lead = (4 - phase) & 3;
    for (let i = 0; i < lead; i++) if (a[i] !== b[i]) return 0;
    const words = (n - lead) >> 2;
    const wa = new Int32Array(a.buffer, a.byteOffset + lead, words);
    const wb = new Int32Array(b.buffer, b.byteOffset + lead, words);
    let k = 0;
    while (k < words && wa[k] === wb[k]) k++;
    return lead + (k << 2);
  }
  const da = new DataView(a.buffer, a.byteOffset, n);
  const db = new DataView(b.buffer, b.byteOffset, n);
  let i = 0;
  while (i + 4 <= n && da.getInt32(i, true) === db.getInt32(i, true)) i += 4;
  return i;
}

/** Order of entries: replica id, then seq. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.seq - b.seq;
}

function unionEntries(a: readonly Entry[], b: readonly Entry[], base: readonly Dot[]): Entry[] {
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const c = x === undefined ? 1 : y === undefined ? -1 : compareDots(x, y);
    let e: Entry;
    if (c < 0) {
      e = x as Entry;
      i++;
    } else if (c > 0) {
      e = y as Entry;
      j++;
    } else {
      // One operation has one update; should two copies differ, both sides keep the same one.
      e =
        x === y || compareBytes((x as Entry).update, (y as Entry).update) <= 0 ? (x as Entry) : (y as Entry);
      i++;
      j++;
    }
    if (!covers(base, e)) out.push(e);
  }
  return out;
}

function sameEntries(a: readonly Entry[], b: readonly Entry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The join of two text states. Bases: the one whose clock has seen the other's wins (equal
 * clocks: the smaller bytes); incomparable bases are folded into one by `fold` (a canonical
 * re-encoding of both). Entries: the union, minus those the base holds.
 */
export function mergeText(
  a: TextState,
  b: TextState,
  fold: (updates: readonly Uint8Array[]) => Uint8Array | undefined,
): TextState {
  if (a === b) return a;
  const clock = joinClocks(a.clock, b.clock);
  const live = mergeLive(a.live, a.clock, b.live, b.clock);
  let base = a.base;
  let baseClock = a.baseClock;
  if (b.base !== undefined && b.base !== a.base) {
    if (a.base === undefined) {
      base = b.base;
      baseClock = b.baseClock;
    } else {
      const ab = dominates(a.baseClock, b.baseClock);
      const ba = dominates(b.baseClock, a.baseClock);
      if (ab && ba) {
        if (compareBytes(b.base, a.base) < 0) base = b.base;
      } else if (ba) {
        base = b.base;
        baseClock = b.baseClock;
      } else if (!ab) {
        const pair = compareBytes(a.base, b.base) <= 0 ? [a.base, b.base] : [b.base, a.base];
        // Both bases were folded from operations every replica had seen: nothing is missing.
        base = fold(pair) ?? (pair[0] as Uint8Array);
        baseClock = joinClocks(a.baseClock, b.baseClock);
      }
    }
  }
  const entries = unionEntries(a.entries, b.entries, baseClock);
  const same = (s: TextState): boolean =>
    s.base === base &&
    sameDots(s.clock, clock) &&
    sameDots(s.live, live) &&
    sameDots(s.baseClock, baseClock) &&
    sameEntries(s.entries, entries);
  if (same(a)) return a;
  if (same(b)) return b;
  return new TextState(clock, live, base, baseClock, entries);
}

/**
 * What a replica keeps of an incoming state whose entries are views of a payload (`decodeText`):
 * the same state, each entry either the equal one `local` holds for its dot (no copy, and the merge
 * then meets one object on both sides) or a copy of its bytes — the entries of one key copied into
 * one buffer, which they alone share (one entry: its own copy).
 */
export function kept(incoming: TextState, local: TextState | undefined): TextState {
  const held = local?.entries ?? [];
  const entries = incoming.entries;
  const n = entries.length;
  const out: Entry[] = [];
  // Positions (in `out`) of the entries to copy, and their bytes in all.
  let copies: number[] | undefined;
  let bytes = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as Entry;
    while (j < held.length && compareDots(held[j] as Entry, e) < 0) j++;
    const h = held[j];
    if (h !== undefined && compareDots(h, e) === 0 && compareBytes(h.update, e.update) === 0) {
      out.push(h);
      continue;
    }
    out.push(e);
    if (copies === undefined) copies = [i];
    else copies.push(i);
    bytes += e.update.length;
  }
  if (copies !== undefined) {
    if (copies.length === 1) {
      // One entry to copy (an op, or one edit per key of a full state): its own buffer.
      const i = copies[0] as number;
      const e = out[i] as Entry;
      out[i] = { replica: e.replica, seq: e.seq, update: e.update.slice() };
    } else {
      const buffer = new ArrayBuffer(bytes);
      let at = 0;
      for (const i of copies) {
        const e = out[i] as Entry;
        const copy = new Uint8Array(buffer, at, e.update.length);
        copy.set(e.update);
        out[i] = { replica: e.replica, seq: e.seq, update: copy };
        at += e.update.length;
      }
    }
  }
  return new TextState(incoming.clock, incoming.live, incoming.base, incoming.baseClock, out);
}

/** What of `state` a replica that saw the operations `seen` accepts lacks (`Resolver.delta`). */
export function deltaOf(state: TextState, seen: (replica: ReplicaId, seq: number) => boolean): TextState {
  const entries = state.entries.filter((e) => !seen(e.replica, e.seq));
  const keepBase = state.base !== undefined && state.baseClock.some((d) => !seen(d.replica, d.seq));
  if (entries.length === state.entries.length && (keepBase || state.base === undefined)) return state;
  return new TextState(
    state.clock,
    state.live,
    keepBase ? state.base : undefined,
    keepBase ? state.baseClock : [],
    entries,
  );
}

/**
 * The updates of `merged`'s entries that `from` does not hold (both entry lists sorted by dot),
 * or undefined when there are more than `room`.
 */
export function addedUpdates(merged: TextState, from: TextState, room: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  const held = from.entries;
  let j = 0;
  for (const e of merged.entries) {
    while (j < held.length && compareDots(held[j] as Entry, e) < 0) j++;
    const h = held[j];
    if (h === undefined || compareDots(h, e) !== 0) {
      if (out.length >= room) return undefined;
      out.push(e.update);
    }
  }
  return out;
}
