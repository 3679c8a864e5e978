import type { ReplicaId } from "@converge/core";
import type { StateReader, StateWriter } from "@converge/core/codec";
import { clientIdOf } from "./client-id.ts";
import { type ClockEntry, type Dot, seqOf } from "./dots.ts";
import { type Entry, TextState } from "./text-state.ts";
import { checkUpdate } from "./yjs-doc.ts";

/**
 * Writes a text state (docs/FORMAT.md, "Text keys"): the key clock (replica, seq, time), then
 * live edits, base clock and entries, each naming its replica by its position in the key clock.
 * Canonical: every list is sorted and holds no duplicates.
 */
export function encodeText(state: TextState, w: StateWriter): void {
  const { clock } = state;
  const at = (r: ReplicaId): number => clock.findIndex((e) => e.replica === r);
  w.uint(clock.length);
  for (const e of clock) {
    w.replica(e.replica);
    w.uint(e.seq);
    w.time(e.wall, e.counter);
  }
  w.uint(state.live.length);
  for (const d of state.live) {
    w.uint(at(d.replica));
    w.uint(d.seq);
  }
  if (state.base === undefined) w.uint(0);
  else {
    w.bytes(state.base);
    w.uint(state.baseClock.length);
    for (const d of state.baseClock) {
      w.uint(at(d.replica));
      w.uint(d.seq);
    }
  }
  w.uint(state.entries.length);
  for (const e of state.entries) {
    w.uint(at(e.replica));
    w.uint(e.seq);
    w.bytes(e.update);
  }
}

/**
 * Reads what {@link encodeText} wrote, refusing anything it cannot produce. Entries' updates are
 * views of the input, not copies: the resolver's `forget` (`kept` in text-state.ts), which the map runs on
 * every incoming state before keeping it, copies what the replica keeps. (A payload's bytes stay
 * unchanged while the map applies it: it decodes them lazily too.)
 */
export function decodeText(r: StateReader): TextState {
  const n = r.count(3, "clock entry");
  if (n === 0) r.fail("text state with an empty key clock");
  const clock: ClockEntry[] = [];
  for (let i = 0; i < n; i++) {
    const replica = r.replica();
    const prev = clock[i - 1];
    if (prev !== undefined && !(prev.replica < replica)) r.fail("text key clock not sorted by replica");
    const seq = r.seq();
    const wall = r.time(replica);
    clock.push({ replica, seq, wall, counter: r.lastCounter });
  }
  const live = readDots(r, clock, "live edits", r.count(2, "live edit"));
  let base: Uint8Array | undefined;
  let baseClock: Dot[] = [];
  const baseLength = r.uint();
  if (baseLength > 0) {
    if (baseLength > r.limits.maxStringBytes) r.fail(`text base of ${baseLength} bytes exceeds the limit`);
    base = r.raw(baseLength).slice();
    baseClock = readDots(r, clock, "base clock", r.count(2, "base clock entry"));
    if (baseClock.length === 0) r.fail("text base with an empty clock");
    const problem = checkUpdate(
      base,
      baseClock.map((d) => clientIdOf(d.replica)),
    );
    if (problem !== undefined) r.fail(`text base: ${problem}`);
  }
  const m = r.count(4, "text entry");
  const entries: Entry[] = [];
  let last = -1;
  let lastSeq = 0;
  // The Yjs client id of the last entry's replica: entries are grouped by replica.
  let client = 0;
  for (let i = 0; i < m; i++) {
    const k = r.uint();
    const owner = clock[k];
    if (owner === undefined) r.fail(`text entry: replica position ${k} outside the key clock`);
    const seq = r.seq();
    if (k < last || (k === last && seq <= lastSeq)) r.fail("text entries not sorted");
    if (seq > owner.seq) r.fail(`text entry: seq ${seq} beyond the key clock's ${owner.seq}`);
    if (k !== last) client = clientIdOf(owner.replica);
    last = k;
    lastSeq = seq;
    if (baseClock.length > 0 && seq <= seqOf(baseClock, owner.replica))
      r.fail("text entry already held by the base");
    const bytes = r.uint();
    if (bytes > r.limits.maxStringBytes) r.fail(`text entry of ${bytes} bytes exceeds the limit`);
    const view = r.raw(bytes);
    const problem = checkUpdate(view, client);
    if (problem !== undefined) r.fail(`text entry: ${problem}`);
    entries.push({ replica: owner.replica, seq, update: view });
  }
  return new TextState(clock, live, base, baseClock, entries);
}

/**
 * `m` dots, each naming its replica by position in the key clock: positions strictly increase,
 * and no seq is beyond its replica's in the clock.
 */
function readDots(r: StateReader, clock: readonly ClockEntry[], what: string, m: number): Dot[] {
  const out: Dot[] = [];
  let last = -1;
  for (let i = 0; i < m; i++) {
    const k = r.uint();
    const owner = clock[k];
    if (owner === undefined) r.fail(`${what}: replica position ${k} outside the key clock`);
    const seq = r.seq();
    if (k <= last) r.fail(`${what} not sorted`);
    if (seq > owner.seq) r.fail(`${what}: seq ${seq} beyond the key clock's ${owner.seq}`);
    last = k;
    out.push({ replica: owner.replica, seq });
  }
  return out;
}
