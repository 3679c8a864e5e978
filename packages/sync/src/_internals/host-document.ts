import type { ReplicatedMap, VersionVector } from "@converge/core";
import type { DocumentConfig } from "../host-types.ts";
import type { Store } from "../store.ts";
import { type DocumentKeeper, documentKeeper, loadReplica } from "../store-policy.ts";
import { type LeaseTable, leaseTable } from "./lease-table.ts";

/** One document a host serves: its replica, its records and its open connections. */
export interface HostDocument<C> {
  readonly name: string;
  readonly config: DocumentConfig;
  readonly map: ReplicatedMap;
  readonly keeper: DocumentKeeper;
  readonly connections: Set<C>;
  /** Its clients' leases and the compaction floor (compaction runs when the log folds). */
  readonly leases: LeaseTable<C>;
  /** Applies of this document run one after another (so change events belong to one apply). */
  chain: Promise<void>;
  /** Keys changed by the apply running now. */
  changed: Set<string> | undefined;
  nextClient: number;
}

/** Loads a document's replica from the store (snapshot, then log) and its keeper. */
export async function loadHostDocument<C>(
  store: Store,
  name: string,
  config: DocumentConfig,
  compactBytes: number | undefined,
  lease: {
    readonly now: () => number;
    readonly leaseMs: number;
    /** What a connection has surely been sent (in order): its lease vector at compaction. */
    readonly sent: (conn: C) => VersionVector | undefined;
    /** After a compaction: tells the connections the floor used. */
    readonly compacted: (doc: HostDocument<C>, floor: VersionVector) => void;
  },
): Promise<HostDocument<C>> {
  const records = await store.open(name);
  const stored = await records.load();
  // A host is where its clients rebuild from: damaged records are refused, never served empty.
  if (stored.damaged !== undefined) throw stored.damaged;
  const loaded = loadReplica(stored, { resolvers: config.rules });
  const leases = leaseTable<C>(loaded.peers, lease.now, lease.leaseMs, lease.sent);
  const doc: HostDocument<C> = {
    name,
    config,
    map: loaded.map,
    keeper: documentKeeper(records, () => loaded.map, {
      logBytes: loaded.logBytes,
      ...(compactBytes === undefined ? {} : { compactBytes }),
      pendingPeers: leases.pending,
      // An apply in progress (applyAsync yields) is never compacted under: the next fold does it.
      beforeSnapshot: () => {
        if (doc.changed !== undefined) return { peers: [], removePeers: [] };
        const batch = leases.compact(loaded.map);
        lease.compacted(doc, batch.used);
        return batch;
      },
    }),
    leases,
    connections: new Set(),
    chain: Promise.resolve(),
    changed: undefined,
    nextClient: 1,
  };
  loaded.map.subscribe((event) => {
    const into = doc.changed;
    if (into !== undefined) for (const c of event.changes) into.add(c.key);
  });
  return doc;
}
