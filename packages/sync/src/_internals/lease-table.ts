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
 * live in memory and in the store's peer records; a record is written with the hello, on acks it
 * only rides along with the next commit ({@link LeaseTable.pending}).
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
  /** Records changed since the last commit took them (they ride along with it). */
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

const NO_LEASES: ReadonlyMap<string, Lease> = new Map();

/** A connected replica's id and the vector it is known to hold. */
interface Connected {
  readonly replica: string;
  vector: VersionVector;
}

/** Builds a document's {@link LeaseTable} from its stored peer records. */
export function leaseTable<C>(
  records: readonly PeerRecord[],
  now: () => number,
  leaseMs: number,
  sent: (conn: C) => VersionVector | undefined,
): LeaseTable<C> {
  return new Leases(records, now, leaseMs, sent);
}

/**
 * The {@link LeaseTable} as a class: methods on the prototype and maps made on first use, so a
 * document with one client costs its leases, not a closure per method.
 */
class Leases<C> implements LeaseTable<C> {
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #sent: (conn: C) => VersionVector | undefined;
  #table: Map<string, Lease> | undefined;
  #floor: VersionVector | undefined;
  // The connected replicas and the dirty records, each kept inline while there is one (the idle
  // document's case) and in a Map or Set from the second on.
  #soleConn: C | undefined;
  #sole: Connected | undefined;
  #connected: Map<C, Connected> | undefined;
  #dirtyOne: string | undefined;
  #dirty: Set<string> | undefined;

  constructor(
    records: readonly PeerRecord[],
    now: () => number,
    leaseMs: number,
    sent: (conn: C) => VersionVector | undefined,
  ) {
    this.#now = now;
    this.#leaseMs = leaseMs;
    this.#sent = sent;
    for (const r of records) {
      const vector = decodeVersionVector(r.vector);
      if (r.peer === FLOOR_PEER) this.#floor = vector;
      else this.#leases().set(r.peer, { vector, seenAt: r.seenAt });
    }
  }

  #leases(): Map<string, Lease> {
    this.#table ??= new Map();
    return this.#table;
  }

  #record(peer: string, lease: Lease): PeerRecord {
    return { peer, vector: encodeVersionVector(lease.vector), seenAt: lease.seenAt };
  }

  #touch(replica: string, vector: VersionVector): Lease {
    const lease = { vector, seenAt: this.#now() };
    this.#leases().set(replica, lease);
    this.#markDirty(replica);
    return lease;
  }

  #markDirty(peer: string): void {
    if (this.#dirty !== undefined) this.#dirty.add(peer);
    else if (this.#dirtyOne === undefined || this.#dirtyOne === peer) this.#dirtyOne = peer;
    else {
      this.#dirty = new Set([this.#dirtyOne, peer]);
      this.#dirtyOne = undefined;
    }
  }

  #clean(peer: string): void {
    if (this.#dirtyOne === peer) this.#dirtyOne = undefined;
    this.#dirty?.delete(peer);
  }

  /** The dirty records' peers, forgotten. */
  #takeDirty(): readonly string[] {
    const out =
      this.#dirty !== undefined ? [...this.#dirty] : this.#dirtyOne !== undefined ? [this.#dirtyOne] : [];
    this.#dirty = undefined;
    this.#dirtyOne = undefined;
    return out;
  }

  #connection(conn: C): Connected | undefined {
    if (this.#connected !== undefined) return this.#connected.get(conn);
    return this.#sole !== undefined && this.#soleConn === conn ? this.#sole : undefined;
  }

  #connect(conn: C, c: Connected): void {
    if (this.#connected !== undefined) this.#connected.set(conn, c);
    else if (this.#sole === undefined || this.#soleConn === conn) {
      this.#soleConn = conn;
      this.#sole = c;
    } else {
      this.#connected = new Map([
        [this.#soleConn as C, this.#sole],
        [conn, c],
      ]);
      this.#soleConn = undefined;
      this.#sole = undefined;
    }
  }

  #connections(): Iterable<[C, Connected]> {
    if (this.#connected !== undefined) return this.#connected;
    return this.#sole !== undefined ? [[this.#soleConn as C, this.#sole]] : [];
  }

  floor(): VersionVector | undefined {
    return this.#floor;
  }

  needsReset(vector: VersionVector): boolean {
    const floor = this.#floor;
    return floor !== undefined && !vector.dominates(floor);
  }

  welcomed(conn: C, replica: string, vector: VersionVector): PeerRecord | undefined {
    if (/^0+$/.test(replica)) return undefined; // opened by name: no replica yet
    this.#connect(conn, { replica, vector });
    this.#clean(replica);
    return this.#record(replica, this.#touch(replica, vector));
  }

  acked(conn: C, vector: VersionVector): void {
    const c = this.#connection(conn);
    if (c === undefined) return;
    c.vector = vector;
    this.#touch(c.replica, vector);
  }

  heard(member: string, vector: VersionVector): void {
    this.#touch(`${HOST_PEER_PREFIX}${member}`, vector);
  }

  left(conn: C): void {
    const connected = this.#connected;
    if (connected === undefined) {
      if (this.#soleConn === conn) {
        this.#soleConn = undefined;
        this.#sole = undefined;
      }
      return;
    }
    connected.delete(conn);
    if (connected.size === 0) this.#connected = undefined;
  }

  pending(): readonly PeerRecord[] {
    const out: PeerRecord[] = [];
    for (const peer of this.#takeDirty()) {
      const lease = this.#table?.get(peer);
      if (lease !== undefined) out.push(this.#record(peer, lease));
    }
    return out;
  }

  compact(map: ReplicatedMap): LeaseBatch {
    const t = this.#now();
    const leaseMs = this.#leaseMs;
    // A connected replica has been sent everything in order: its lease moves with what it was sent.
    for (const [conn, c] of this.#connections()) {
      c.vector = this.#sent(conn) ?? c.vector;
      this.#touch(c.replica, c.vector);
    }
    const table = this.#leases();
    const removePeers: string[] = [];
    for (const [peer, lease] of table)
      if (!isLive(lease, t, leaseMs)) {
        table.delete(peer);
        this.#clean(peer);
        removePeers.push(peer);
      }
    const live = leaseFloor(table.values(), t, leaseMs);
    // Core meets the floor with the host's own vector: that meet is what was collected.
    const used = live === undefined ? map.versionVector() : map.versionVector().meet(live);
    map.compact(live === undefined ? [] : [live]);
    const floor = this.#floor === undefined ? used : this.#floor.merge(used);
    this.#floor = floor;
    const peers = [{ peer: FLOOR_PEER, vector: encodeVersionVector(floor), seenAt: t }];
    for (const p of this.#takeDirty()) {
      const lease = table.get(p);
      if (lease !== undefined) peers.push(this.#record(p, lease));
    }
    return { peers, removePeers, used };
  }

  leases(): ReadonlyMap<string, Lease> {
    return this.#table ?? NO_LEASES;
  }
}
