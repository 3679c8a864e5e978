import type { VersionVector } from "@converge/core";

/** Default lease of a client replica (and of a cluster's peer host): 30 days. */
export const DEFAULT_LEASE_MS: number = 30 * 24 * 3600 * 1000;

/** One replica's lease: the vector acknowledged to it, and when it was last seen. */
export interface Lease {
  readonly vector: VersionVector;
  readonly seenAt: number;
}

/** Whether `lease` is live at `now`: seen less than `leaseMs` ago. */
export function isLive(lease: Lease, now: number, leaseMs: number): boolean {
  return now - lease.seenAt < leaseMs;
}

/**
 * The compaction floor: the pointwise minimum of the vectors of the live leases and of `extra`
 * (vectors from outside the host, e.g. the other servers of a cluster), or `undefined` when there
 * is none of either (nothing holds compaction back but the host's own vector). A replica missing
 * from one of the vectors counts as 0 there.
 */
export function leaseFloor(
  leases: Iterable<Lease>,
  now: number,
  leaseMs: number,
  extra: readonly VersionVector[] = [],
): VersionVector | undefined {
  let floor: VersionVector | undefined;
  for (const l of leases)
    if (isLive(l, now, leaseMs)) floor = floor === undefined ? l.vector : floor.meet(l.vector);
  for (const v of extra) floor = floor === undefined ? v : floor.meet(v);
  return floor;
}
