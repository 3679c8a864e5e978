// compact: collects what every replica has seen, key by key, then rebuilds the change index.
import type { VersionVector } from "../version-vector.ts";
import type { ReplicaParts } from "./replica-parts.ts";

/**
 * Compacts every quiescent key with the pointwise minimum of this replica's version vector and
 * `peers'` (see {@link Resolver.compact}); returns the number of entries shrunk or dropped.
 *
 * A key is left alone (whatever its resolver would collect) while some vector holds more
 * operations of a replica that wrote the key than this replica has seen: that replica may have
 * written the key again concurrently with what is being collected (a counter increment made
 * before it saw a delete), and the parts collected here would be needed to merge that write
 * right. A replica's own vector is exact about itself, so this holds with stale vectors too: a
 * stale vector only holds less. (That every operation on the key is stable is the resolver's own
 * check, in `compact`.)
 */
export function compact(parts: ReplicaParts, peers: readonly VersionVector[]): number {
  const { store, resolverFor, committer, context } = parts;
  const local = context.versionVector();
  let stable = local;
  let highest = local;
  for (const p of peers) {
    stable = stable.meet(p);
    highest = highest.merge(p);
  }
  let count = 0;
  for (const [key, slot] of [...store.slots()]) {
    const resolver = resolverFor(key);
    const s = store.stateAt(slot);
    let behind = false;
    resolver.versions(s, (r) => {
      if (highest.get(r) > local.get(r)) behind = true;
    });
    if (behind) continue;
    const next = resolver.compact(s, stable);
    if (next !== s) {
      committer.commit(key, slot, resolver, s, next);
      count++;
    }
  }
  if (count > 0) parts.index.rebuild(store, resolverFor);
  return count;
}
