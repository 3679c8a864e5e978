import type { ReplicatedMap, VersionVector } from "@converge/core";
import { decodeVersionVector, encodeVersionVector } from "../frame-codec.ts";
import type { PeerRecord } from "../store.ts";
import { isLive, type Lease, leaseFloor } from "./lease-floor.ts";

/** The reserved peer record holding the compaction floor (never a replica id: those are hex). */
export const FLOOR_PEER = "~floor";

/**
 * Peer records of the other hosts of a cluster: `~host:<member id>`, holding the last vector the
 * member digested or requested with. Stored like leases, so a restarted host still counts them.
 */
export const HOST_PEER_PREFIX = "~host:";

/**
 * An acknowledged lease's record rides along with a commit at most this often (ms of the host's
 * clock): an ack refreshes a lease in memory every time, but encoding every dirty lease's vector
 * into every commit cost the host O(replicas) per acknowledged op. A stored lease that lags the
 * one in memory is safe — after a restart the floor is lower, so compaction only collects less —
 * and its `seenAt` is at most this much older than the truth, against a `leaseMs` of days.
 */
export const LEASE_WRITE_MS = 1000;

/** What a fold into a snapshot adds to its batch: refreshed records and expired ones. */
export interface LeaseBatch {
  readonly peers: readonly PeerRecord[];
  readonly removePeers: readonly string[];
  /** The vector compaction collected up to (the host's own met with the live floor). */
  readonly used: VersionVector;
}

/**
 * A document's leases on the host: per client replica, the vector acknowledged to it and when it
 * was last seen (`now()` of the host's timers); the merged compaction floors used so far. Leases
 * live in memory and in the store's peer records; a record is written with the hello and when a
 * peer host is heard; on acks it only rides along with a later commit, at most once per
 * {@link LEASE_WRITE_MS} ({@link LeaseTable.pending}).
 */
export interface LeaseTable<C> {
  /** The compaction floors used so far, merged (undefined before the first compaction). */
  readonly floor: () => VersionVector | undefined;
  /** Whether a client saying hello with `vector` must be reset: it does not cover the floor. */
  readonly needsReset: (vector: VersionVector) => boolean;
  /** A connection of `replica` was welcomed with `vector` as a lower bound of what it has. */
  readonly welcomed: (conn: C, replica: string, vector: VersionVector) => PeerRecord | undefined;
  /** The connection was acknowledged `vector` (or is known to hold it); its record is deferred. */
  readonly acked: (conn: C, vector: VersionVector) => void;
  /**
   * A peer host of the cluster said it has `vector` (digest, request): its lease, stored as a
   * `~host:` record riding along with the next commit, counts in the floor like a client's.
   */
  readonly heard: (member: string, vector: VersionVector) => void;
  /** The connection closed: its lease stops being refreshed. */
  readonly left: (conn: C) => void;
  /**
   * Records changed since a commit last took them (they ride along with it): those of welcomes
   * and peer hosts always, those refreshed only by acks once {@link LEASE_WRITE_MS} has passed
   * since acked records last went out (compaction takes every dirty record).
   */
  readonly pending: () => readonly PeerRecord[];
  /**
   * Compacts `map` with the floor of the live leases (clients' — connected ones refreshed to
   * `now` — and peer hosts'), drops expired leases; returns the records the same batch must write
   * and remove.
   */
  readonly compact: (map: ReplicatedMap) => LeaseBatch;
  /** The live leases' replica ids and vectors (for tests and health). */
  readonly leases: () => ReadonlyMap<string, Lease>;
}

/** Builds a document's {@link LeaseTable} from its stored peer records. */
export function leaseTable<C>(
  records: readonly PeerRecord[],
  now: () => number,
  leaseMs: number,
  sent: (conn: C) => VersionVector | undefined,
): LeaseTable<C> {
  const table = new Map<string, Lease>();
  let floor: VersionVector | undefined;
  for (const r of records) {
    const vector = decodeVersionVector(r.vector);
    if (r.peer === FLOOR_PEER) floor = vector;
    else table.set(r.peer, { vector, seenAt: r.seenAt });
  }
  const connected = new Map<C, { readonly replica: string; vector: VersionVector }>();
  // Records to write: true, with the next commit; false (refreshed by acks only), at most every
  // LEASE_WRITE_MS. One map, so an idle document holds no more collections than before.
  const dirty = new Map<string, boolean>();
  let acksWrittenAt = Number.NEGATIVE_INFINITY;
  const record = (peer: string, lease: Lease): PeerRecord => ({
    peer,
    vector: encodeVersionVector(lease.vector),
    seenAt: lease.seenAt,
  });
  const touch = (replica: string, vector: VersionVector, urgent = true): Lease => {
    const lease = { vector, seenAt: now() };
    table.set(replica, lease);
    dirty.set(replica, urgent || dirty.get(replica) === true);
    return lease;
  };
  return {
    floor: () => floor,
    needsReset: (vector) => floor !== undefined && !vector.dominates(floor),
    welcomed: (conn, replica, vector) => {
      if (/^0+$/.test(replica)) return undefined; // opened by name: no replica yet
      connected.set(conn, { replica, vector });
      dirty.delete(replica);
      return record(replica, touch(replica, vector));
    },
    acked: (conn, vector) => {
      const c = connected.get(conn);
      if (c === undefined) return;
      c.vector = vector;
      touch(c.replica, vector, false);
    },
    heard: (member, vector) => {
      touch(`${HOST_PEER_PREFIX}${member}`, vector);
    },
    left: (conn) => {
      connected.delete(conn);
    },
    pending: () => {
      const out: PeerRecord[] = [];
      if (dirty.size === 0) return out;
      const t = now();
      const withAcks = t - acksWrittenAt >= LEASE_WRITE_MS;
      // The urgent records first, then (when due) those refreshed by acks only.
      for (const pass of withAcks ? [true, false] : [true]) {
        for (const [peer, urgent] of dirty) {
          if (urgent !== pass) continue;
          const lease = table.get(peer);
          if (lease !== undefined) out.push(record(peer, lease));
          dirty.delete(peer);
          if (!urgent) acksWrittenAt = t;
        }
      }
      return out;
    },
    compact: (map) => {
      const t = now();
      // A connected replica has been sent everything in order: its lease moves with what it was sent.
      for (const [conn, c] of connected) {
        c.vector = sent(conn) ?? c.vector;
        touch(c.replica, c.vector);
      }
      const removePeers: string[] = [];
      for (const [peer, lease] of table)
        if (!isLive(lease, t, leaseMs)) {
          table.delete(peer);
          dirty.delete(peer);
          removePeers.push(peer);
        }
      const live = leaseFloor(table.values(), t, leaseMs);
      // Core meets the floor with the host's own vector: that meet is what was collected.
      const used = live === undefined ? map.versionVector() : map.versionVector().meet(live);
      map.compact(live === undefined ? [] : [live]);
      floor = floor === undefined ? used : floor.merge(used);
      const peers = [{ peer: FLOOR_PEER, vector: encodeVersionVector(floor), seenAt: t }];
      for (const p of dirty.keys()) {
        const lease = table.get(p);
        if (lease !== undefined) peers.push(record(p, lease));
      }
      dirty.clear();
      return { peers, removePeers, used };
    },
    leases: () => table,
  };
}
