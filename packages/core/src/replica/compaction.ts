// compact: collects what every replica has seen, key by key, then rebuilds the change index.
import type { VersionVector } from "../version-vector.ts";
import type { ReplicaParts } from "./replica-parts.ts";

/**
 * Compacts every key with the pointwise minimum of this replica's version vector and `peers`'
 * (see {@link Resolver.compact}); returns the number of entries shrunk or dropped.
 */
export function compact(parts: ReplicaParts, peers: readonly VersionVector[]): number {
  const { store, resolverFor, committer, context } = parts;
  let stable = context.versionVector();
  for (const p of peers) stable = stable.meet(p);
  let count = 0;
  for (const [key, slot] of [...store.slots()]) {
    const resolver = resolverFor(key);
    const s = store.stateAt(slot);
    const next = resolver.compact(s, stable);
    if (next !== s) {
      committer.commit(key, slot, resolver, s, next);
      count++;
    }
  }
  if (count > 0) parts.index.rebuild(store, resolverFor);
  return count;
}
