// prepareReads: lets resolvers with expensive reads (scripts) batch-read the states an apply produced.
import type { AnyResolver } from "../key-rules.ts";

/**
 * Groups `states[from, to)` by resolver and hands each group to its resolver's `prepare` (a
 * read-ahead only: one that throws is ignored, and its states are read one by one later).
 */
export function prepareReads(
  resolverAt: (i: number) => AnyResolver,
  states: readonly unknown[],
  from: number,
  to: number,
): void {
  let groups: Map<AnyResolver, unknown[]> | undefined;
  for (let i = from; i < to; i++) {
    const r = resolverAt(i);
    if (r.prepare === undefined) continue;
    groups ??= new Map();
    let list = groups.get(r);
    if (list === undefined) {
      list = [];
      groups.set(r, list);
    }
    if (states[i] !== undefined) list.push(states[i]);
  }
  if (groups === undefined) return;
  for (const [r, list] of groups) {
    try {
      r.prepare?.(list);
    } catch {
      // Only a read-ahead: states are read one by one later instead.
    }
  }
}
