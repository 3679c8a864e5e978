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
 * peer host is heard, when its connection leaves, and at compaction for connections still open
 * ({@link LeaseTable.compact}). An ack only
 * refreshes the lease in memory: encoding its vector into every commit cost the host
 * O(replicas) per acknowledged op. A stored lease that lags the one in memory is safe — after a
 * restart the floor is lower, so compaction only collects less.
 */
export interface LeaseTable<C> {
  /** The compaction floors used so far, merged (undefined before the first compaction). */
  readonly floor: () => VersionVector | undefined;
  /** Whether a client saying hello with `vector` must be reset: it does not cover the floor. */
  readonly needsReset: (vector: VersionVector) => boolean;
  /** A connection of `replica` was welcomed with `vector` as a lower bound of what it has. */
  readonly welcomed: (conn: C, replica: string, vector: VersionVector) => PeerRecord | undefined;
  /**
   * The connection, welcomed as `replica`, was acknowledged `vector` (or is known to hold it): the
   * lease moves in memory; its record waits for the next compaction (or a welcome). Nothing when
   * the replica's lease is not refreshed by `conn` (a later connection of it took the lease over).
   */
  readonly acked: (conn: C, replica: string, vector: VersionVector) => void;
  /**
   * A peer host of the cluster said it has `vector` (digest, request): its lease, stored as a
   * `~host:` record riding along with the next commit, counts in the floor like a client's.
   */
  readonly heard: (member: string, vector: VersionVector) => void;
  /** The connection, welcomed as `replica`, closed: its lease stops being refreshed. */
  readonly left: (conn: C, replica: string) => void;
  /** Records of welcomes and peer hosts since the last commit took them (they ride along with it). */
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

/** What a lease table is told besides its records: one object a host shares among its documents. */
export interface LeaseClock<C> {
  readonly now: () => number;
  readonly leaseMs: number;
  /** What a connection has surely been sent (in order): its lease vector at compaction. */
  readonly sent: (conn: C) => VersionVector | undefined;
}

/** Builds a document's {@link LeaseTable} from its stored peer records. */
export function leaseTable<C>(records: readonly PeerRecord[], clock: LeaseClock<C>): LeaseTable<C> {
  return new Leases(records, clock);
}

const record = (peer: string, lease: Lease): PeerRecord => ({
  peer,
  vector: encodeVersionVector(lease.vector),
  seenAt: lease.seenAt,
});

/** A lease in the table: `conn`, the connection refreshing it while it is open. */
interface Held<C> extends Lease {
  readonly conn?: C | undefined;
}

/**
 * The {@link LeaseTable} as a class: a host keeps one per document, so its functions are shared
 * on the prototype rather than closures of each table, and the dirty set is made on first use
 * (an idle document whose leases were committed keeps none). A connected replica's lease names
 * its connection (the latest to say hello as that replica), so the table needs no second map
 * from connections to leases.
 */
class Leases<C> implements LeaseTable<C> {
  readonly #table = new Map<string, Held<C>>();
  readonly #clock: LeaseClock<C>;
  #floor: VersionVector | undefined;
  #dirty: Set<string> | undefined;

  constructor(records: readonly PeerRecord[], clock: LeaseClock<C>) {
    this.#clock = clock;
    for (const r of records) {
      const vector = decodeVersionVector(r.vector);
      if (r.peer === FLOOR_PEER) this.#floor = vector;
      else this.#table.set(r.peer, { vector, seenAt: r.seenAt });
    }
  }

  #touch(replica: string, vector: VersionVector, conn?: C): Lease {
    const lease = { vector, seenAt: this.#clock.now(), conn };
    this.#table.set(replica, lease);
    this.#dirtied(replica);
    return lease;
  }

  #dirtied(replica: string): void {
    if (this.#dirty === undefined) this.#dirty = new Set();
    this.#dirty.add(replica);
  }

  /** The dirty leases' records, and the dirty set emptied. */
  #takeDirty(into: PeerRecord[]): PeerRecord[] {
    const dirty = this.#dirty;
    if (dirty === undefined) return into;
    for (const peer of dirty) {
      const lease = this.#table.get(peer);
      if (lease !== undefined) into.push(record(peer, lease));
    }
    this.#dirty = undefined;
    return into;
  }

  floor(): VersionVector | undefined {
    return this.#floor;
  }

  needsReset(vector: VersionVector): boolean {
    return this.#floor !== undefined && !vector.dominates(this.#floor);
  }

  welcomed(conn: C, replica: string, vector: VersionVector): PeerRecord | undefined {
    if (/^0+$/.test(replica)) return undefined; // opened by name: no replica yet
    this.#dirty?.delete(replica);
    return record(replica, this.#touch(replica, vector, conn));
  }

  acked(conn: C, replica: string, vector: VersionVector): void {
    // Only the connection that refreshes the lease moves it (not an older one of the replica).
    if (this.#table.get(replica)?.conn === conn)
      this.#table.set(replica, { vector, seenAt: this.#clock.now(), conn });
  }

  heard(member: string, vector: VersionVector): void {
    this.#touch(`${HOST_PEER_PREFIX}${member}`, vector);
  }

  left(conn: C, replica: string): void {
    // Its last acknowledged lease stays, no longer refreshed, and rides along with the next commit.
    const held = this.#table.get(replica);
    if (held?.conn !== conn) return;
    this.#table.set(replica, { vector: held.vector, seenAt: held.seenAt });
    this.#dirtied(replica);
  }

  pending(): readonly PeerRecord[] {
    return this.#takeDirty([]);
  }

  compact(map: ReplicatedMap): LeaseBatch {
    const { now, leaseMs, sent } = this.#clock;
    const t = now();
    const table = this.#table;
    // A connected replica has been sent everything in order: its lease moves with what it was sent.
    for (const [replica, { conn, vector }] of table)
      if (conn !== undefined) this.#touch(replica, sent(conn) ?? vector, conn);
    const removePeers: string[] = [];
    for (const [peer, lease] of table)
      if (!isLive(lease, t, leaseMs)) {
        table.delete(peer);
        this.#dirty?.delete(peer);
        removePeers.push(peer);
      }
    const live = leaseFloor(table.values(), t, leaseMs);
    // Core meets the floor with the host's own vector: that meet is what was collected.
    const used = live === undefined ? map.versionVector() : map.versionVector().meet(live);
    map.compact(live === undefined ? [] : [live]);
    const floor = this.#floor === undefined ? used : this.#floor.merge(used);
    this.#floor = floor;
    const peers = this.#takeDirty([{ peer: FLOOR_PEER, vector: encodeVersionVector(floor), seenAt: t }]);
    return { peers, removePeers, used };
  }

  leases(): ReadonlyMap<string, Lease> {
    return this.#table;
  }
}
