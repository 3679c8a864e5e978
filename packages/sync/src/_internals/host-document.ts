import type { ReplicatedMap, VersionVector } from "@converge/core";
import type { DocumentConfig } from "../host-types.ts";
import type { Store } from "../store.ts";
import { type DocumentKeeper, documentKeeper, loadReplica } from "../store-policy.ts";

/** One document a host serves: its replica, its records and its open connections. */
export interface HostDocument<C> {
  readonly name: string;
  readonly config: DocumentConfig;
  readonly map: ReplicatedMap;
  readonly keeper: DocumentKeeper;
  readonly connections: Set<C>;
  /** Applies of this document run one after another (so change events belong to one apply). */
  chain: Promise<void>;
  /** Keys changed by the apply running now. */
  changed: Set<string> | undefined;
  nextClient: number;
  /** Hub peers serving this document: the last vector each sent (digest, request), when (host clock). */
  readonly members: Map<string, { readonly vector: VersionVector; readonly seenAt: number }>;
}

/** Loads a document's replica from the store (snapshot, then log) and its keeper. */
export async function loadHostDocument<C>(
  store: Store,
  name: string,
  config: DocumentConfig,
  compactBytes: number | undefined,
): Promise<HostDocument<C>> {
  const records = await store.open(name);
  const stored = await records.load();
  const loaded = loadReplica(stored, { resolvers: config.rules });
  const doc: HostDocument<C> = {
    name,
    config,
    map: loaded.map,
    keeper: documentKeeper(records, () => loaded.map, {
      logBytes: loaded.logBytes,
      ...(compactBytes === undefined ? {} : { compactBytes }),
    }),
    connections: new Set(),
    chain: Promise.resolve(),
    changed: undefined,
    nextClient: 1,
    members: new Map(),
  };
  loaded.map.subscribe((event) => {
    const into = doc.changed;
    if (into !== undefined) for (const c of event.changes) into.add(c.key);
  });
  return doc;
}
