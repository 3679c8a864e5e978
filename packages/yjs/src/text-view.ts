import { parseTextUpdate, type TextStruct } from "./update-parse.ts";

/**
 * A run of consecutive characters of one Yjs client, in document order, with the origins of its
 * first character (as a Yjs item keeps them: a split's tail has the head's last character as its
 * origin); `text` undefined: deleted.
 */
type Run = TextStruct;

/**
 * What a plain text's document shows, computed without a Yjs document: every struct it holds, in
 * document order (deleted ones as tombstones, as Yjs keeps them), its state vector, and its string.
 * Immutable by contract (nothing writes to a view's arrays; {@link advanceView} copies them).
 */
export interface TextView {
  readonly runs: readonly Run[];
  /** Each client's next clock, the state vector: flat pairs (client, next clock). */
  readonly clocks: readonly number[];
  /** The visible characters, in document order: what `Y.Text.toString()` returns. */
  readonly text: string;
}

const EMPTY_RUN: Run = Object.freeze({
  client: 0,
  clock: 0,
  length: 0,
  originClient: -1,
  originClock: 0,
  rightClient: -1,
  rightClock: 0,
  text: undefined,
});

function emptyView(): TextView {
  // Element kinds follow what an array first held: a placeholder, popped.
  const runs: Run[] = [EMPTY_RUN];
  runs.pop();
  const clocks: number[] = [0.5];
  clocks.pop();
  return { runs, clocks, text: "" };
}

/**
 * The view of an empty document. Its arrays have the element kinds every other view's arrays have
 * (objects; floating-point numbers: client ids pass 2^31), and the object the shape of the views
 * {@link advanceView} makes, so the code that reads views meets one kind of each.
 */
export const EMPTY_VIEW: TextView = emptyView();

/** The next clock of `client` in flat (client, clock) pairs; 0 when absent. */
function clockOf(clocks: readonly number[], client: number): number {
  for (let i = 0; i < clocks.length; i += 2) if (clocks[i] === client) return clocks[i + 1] as number;
  return 0;
}

/** Sets the next clock of `client` in flat (client, clock) pairs. */
function setClock(clocks: number[], client: number, clock: number): void {
  for (let i = 0; i < clocks.length; i += 2) {
    if (clocks[i] === client) {
      clocks[i + 1] = clock;
      return;
    }
  }
  clocks.push(client, clock);
}

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** Index of the run holding character (client, clock); -1 when none does. */
function find(runs: readonly Run[], client: number, clock: number): number {
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i] as Run;
    if (r.client === client && clock >= r.clock && clock < r.clock + r.length) return i;
  }
  return -1;
}

/**
 * Splits run `i` after `keep` characters. `false` when the split falls inside a surrogate pair:
 * there Yjs replaces both halves with U+FFFD, which this view does not reproduce.
 */
function split(runs: Run[], i: number, keep: number): boolean {
  const r = runs[i] as Run;
  const { text } = r;
  if (text !== undefined && isHigh(text.charCodeAt(keep - 1))) return false;
  const head: Run = { ...r, length: keep, text: text === undefined ? undefined : text.slice(0, keep) };
  const tail: Run = {
    ...r,
    clock: r.clock + keep,
    length: r.length - keep,
    originClient: r.client,
    originClock: r.clock + keep - 1,
    text: text === undefined ? undefined : text.slice(keep),
  };
  runs.splice(i, 1, head, tail);
  return true;
}

/** True when a split before run `i` (a boundary Yjs may hold inside one item) keeps every character. */
function safeBoundary(runs: readonly Run[], i: number): boolean {
  const text = runs[i - 1]?.text;
  return text === undefined || !isHigh(text.charCodeAt(text.length - 1));
}

/**
 * Integrates one struct whose origins are present, as Yjs's `Item.integrate` does: between its
 * origins, after the concurrent inserts there that Yjs orders first (YATA: by origins, then by
 * client id). `false` when a split falls inside a surrogate pair.
 */
function integrate(runs: Run[], s: TextStruct): boolean {
  if (s.originClient >= 0) {
    const k = find(runs, s.originClient, s.originClock);
    const r = runs[k];
    if (r === undefined) return false;
    const keep = s.originClock - r.clock + 1;
    if (keep < r.length && !split(runs, k, keep)) return false;
  }
  let right = runs.length;
  if (s.rightClient >= 0) {
    right = find(runs, s.rightClient, s.rightClock);
    const r = runs[right];
    if (r === undefined) return false;
    const keep = s.rightClock - r.clock;
    if (keep > 0) {
      if (!split(runs, right, keep)) return false;
      right++;
    }
  }
  // The origin's run, found again: a split may have moved it.
  const origin = s.originClient >= 0 ? find(runs, s.originClient, s.originClock) : -1;
  let left = origin;
  if (right !== origin + 1) {
    // Something was inserted between the origins: Yjs's conflict loop, over runs. `before` and
    // `conflicting` are Yjs's itemsBeforeOrigin and conflictingItems: runs [origin + 1, o] and
    // [conflicting, o] (conflicting starts again after a run that `left` moves to).
    let conflicting = origin + 1;
    for (let o = origin + 1; o < runs.length && o !== right; o++) {
      const r = runs[o] as Run;
      if (r.originClient === s.originClient && (r.originClient < 0 || r.originClock === s.originClock)) {
        if (r.client < s.client) {
          left = o;
          conflicting = o + 1;
        } else if (r.rightClient === s.rightClient && (r.rightClient < 0 || r.rightClock === s.rightClock))
          break;
      } else if (r.originClient >= 0) {
        const at = find(runs, r.originClient, r.originClock);
        if (at <= origin || at > o) break;
        if (at < conflicting) {
          left = o;
          conflicting = o + 1;
        }
      } else break;
    }
  }
  if (!safeBoundary(runs, left + 1)) return false;
  runs.splice(left + 1, 0, {
    client: s.client,
    clock: s.clock,
    length: s.length,
    originClient: s.originClient,
    originClock: s.originClock,
    rightClient: s.rightClient,
    rightClock: s.rightClock,
    text: s.text,
  });
  return true;
}

/** Marks characters [clock, clock + length) of `client` deleted; `false` on an unsafe split. */
function remove(runs: Run[], client: number, clock: number, length: number): boolean {
  const end = clock + length;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i] as Run;
    if (r.client !== client || r.text === undefined || r.clock >= end || r.clock + r.length <= clock)
      continue;
    if (r.clock < clock) {
      if (!split(runs, i, clock - r.clock)) return false;
      continue; // the tail, next
    }
    if (r.clock + r.length > end && !split(runs, i, end - r.clock)) return false;
    const d = runs[i] as Run;
    if (!safeBoundary(runs, i) || !safeBoundary(runs, i + 1)) return false;
    runs[i] = { ...d, text: undefined };
  }
  return true;
}

/**
 * The view after `updates` (plain-text Yjs updates) are applied to `view`'s document; when this
 * function cannot be sure what Yjs would show — then ask Yjs — `undefined` if a dependency is
 * missing (a later update may bring it), `null` if not (formatting, a conflict). It is sure
 * when every update parses as plain text ({@link parseTextUpdate}), every struct's dependencies
 * arrive (in some order), no struct overlaps one already held, every deleted range is held, and
 * no split falls inside a surrogate pair. Yjs's result does not depend on the order structs are integrated in,
 * so integrating them in any causal order gives its text.
 */
export function advanceView(view: TextView, updates: readonly Uint8Array[]): TextView | null | undefined {
  // Each client's structs, clocks ascending (one update lists a client's structs in one block).
  const lists: TextStruct[][] = [];
  const deletes: number[] = [];
  let total = 0;
  const byClient = updates.length > 1 ? new Map<number, TextStruct[]>() : undefined;
  for (const u of updates) {
    const parsed = parseTextUpdate(u);
    if (parsed === undefined) return null;
    let current: TextStruct[] | undefined;
    for (const s of parsed.structs) {
      if (current === undefined || (current[0] as TextStruct).client !== s.client) {
        current = byClient?.get(s.client);
        if (current === undefined) {
          current = [];
          lists.push(current);
          byClient?.set(s.client, current);
        }
      }
      current.push(s);
      total++;
    }
    for (const n of parsed.deletes) deletes.push(n);
  }
  if (total === 0 && deletes.length === 0) return view;
  const runs = view.runs.slice();
  const clocks = view.clocks.slice();
  if (byClient !== undefined) for (const q of lists) if (q.length > 1) q.sort((x, y) => x.clock - y.clock);
  const next = lists.map(() => 0);
  let progressed = true;
  while (total > 0 && progressed) {
    progressed = false;
    for (let k = 0; k < lists.length; k++) {
      const q = lists[k] as TextStruct[];
      let i = next[k] as number;
      for (; i < q.length; i++) {
        const s = q[i] as TextStruct;
        const held = clockOf(clocks, s.client);
        if (s.clock < held) return null; // overlaps what is held: Yjs takes only a part
        if (s.clock > held) break;
        if (s.originClient >= 0 && s.originClock >= clockOf(clocks, s.originClient)) break;
        if (s.rightClient >= 0 && s.rightClock >= clockOf(clocks, s.rightClient)) break;
        if (!integrate(runs, s)) return null;
        setClock(clocks, s.client, s.clock + s.length);
        total--;
        progressed = true;
      }
      next[k] = i;
    }
  }
  if (total > 0) return undefined; // a dependency never arrives: Yjs keeps the rest pending
  for (let i = 0; i < deletes.length; i += 3) {
    const client = deletes[i] as number;
    const clock = deletes[i + 1] as number;
    const length = deletes[i + 2] as number;
    if (clock + length > clockOf(clocks, client)) return undefined; // Yjs keeps it pending
    if (!remove(runs, client, clock, length)) return null;
  }
  let text = "";
  for (const r of runs) if (r.text !== undefined) text += r.text;
  // Not frozen: V8 copies a frozen array (the next advance's slice) some thirty times slower.
  return { runs, clocks, text };
}

/** The visible characters of `view`, grouped by the client that inserted them, in text order. */
export function viewContributions(view: TextView): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of view.runs) {
    if (r.text !== undefined) out.set(r.client, (out.get(r.client) ?? "") + r.text);
  }
  return out;
}
