import type { ReplicatedMap } from "@converge/core";

/** A hand-written last-writer-wins entry: the value and the HLC time (wall, counter, node) that wrote it. */
export interface LwwEntry {
  readonly value: number;
  readonly wall: number;
  readonly counter: number;
  readonly node: string;
}

/** Wire form of one entry: [key, value, wall, counter, node]. */
export type LwwTuple = [key: string, value: number, wall: number, counter: number, node: string];

/** True when (wall, counter, node) is later than `e`'s time. */
function later(wall: number, counter: number, node: string, e: LwwEntry): boolean {
  if (wall !== e.wall) return wall > e.wall;
  if (counter !== e.counter) return counter > e.counter;
  return node > e.node;
}

/** Merges decoded tuples into `target` by HLC time; returns how many keys changed. */
export function mergeTuples(target: Map<string, LwwEntry>, tuples: readonly LwwTuple[]): number {
  let changed = 0;
  for (let i = 0; i < tuples.length; i++) {
    const [key, value, wall, counter, node] = tuples[i] as LwwTuple;
    const old = target.get(key);
    if (old === undefined || later(wall, counter, node, old)) {
      target.set(key, { value, wall, counter, node });
      changed++;
    }
  }
  return changed;
}

/** Merges an in-memory map into `target` by HLC time; returns how many keys changed. */
export function mergeEntries(target: Map<string, LwwEntry>, source: ReadonlyMap<string, LwwEntry>): number {
  let changed = 0;
  for (const [key, e] of source) {
    const old = target.get(key);
    if (old === undefined || later(e.wall, e.counter, e.node, old)) {
      target.set(key, e);
      changed++;
    }
  }
  return changed;
}

/**
 * The winning value and time of each key of a converge replica, as plain entries (so the plain-JS
 * baseline merges exactly the data converge merges).
 */
export function exportEntries(map: ReplicatedMap, keys: readonly string[]): Map<string, LwwEntry> {
  const out = new Map<string, LwwEntry>();
  for (const key of keys) {
    const top = map.conflicts(key)[0];
    if (top === undefined) continue;
    out.set(key, {
      value: top.value as number,
      wall: top.time.wall,
      counter: top.time.counter,
      node: top.replica,
    });
  }
  return out;
}

/** The wire tuples of a plain map. */
export function toTuples(entries: ReadonlyMap<string, LwwEntry>): LwwTuple[] {
  const out: LwwTuple[] = [];
  for (const [key, e] of entries) out.push([key, e.value, e.wall, e.counter, e.node]);
  return out;
}
