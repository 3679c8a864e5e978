import { createReplicatedMap, type ReplicatedMap, type VersionVector } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import {
  connect,
  createSyncHost,
  type DocumentStore,
  decodeVersionVector,
  memoryStore,
  type Store,
  type StoreBatch,
  type SyncHost,
  type SyncSession,
} from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, rules, settle } from "./fixtures.ts";

export const LEASE_MS = 10_000;

/** One client: a map that lives on, a store of its own, sessions that come and go. */
export interface LeaseClient {
  readonly name: string;
  readonly map: ReplicatedMap;
  readonly records: DocumentStore;
  session: SyncSession | undefined;
  readonly resets: (VersionVector | undefined)[];
  readonly errors: ConvergeError[];
}

/** A host on fake time that compacts at every commit (compactBytes 1), and its clients. */
export interface LeaseWorld {
  readonly fake: ReturnType<typeof fakeTimers>;
  readonly host: SyncHost;
  /** Closes the host and starts a new one over the same store (what it committed). */
  readonly restart: () => Promise<void>;
  /** Every batch the host committed, in order. */
  readonly batches: readonly StoreBatch[];
  readonly clients: readonly LeaseClient[];
  readonly online: (c: LeaseClient) => void;
  readonly offline: (c: LeaseClient) => Promise<void>;
  readonly quiesce: () => Promise<void>;
  readonly storedPeers: () => Promise<Map<string, { vector: VersionVector; seenAt: number }>>;
}

export async function leaseWorld(names: readonly string[]): Promise<LeaseWorld> {
  const fake = fakeTimers(1_000_000);
  const hostStore: Store = memoryStore();
  const batches: StoreBatch[] = [];
  // The host's view of the store: commits are recorded, and closing it keeps the records.
  const kept: Store = {
    open: async (name) => {
      const doc = await hostStore.open(name);
      return {
        load: doc.load,
        commit: (batch) => {
          batches.push(batch);
          return doc.commit(batch);
        },
        close: async () => {},
      };
    },
    documents: hostStore.documents,
    close: async () => {},
  };
  const makeHost = (): SyncHost =>
    createSyncHost({
      documents: (name) => (name === "shop" ? { rules } : undefined),
      store: kept,
      timers: fake.timers,
      leaseMs: LEASE_MS,
      storePolicy: { compactBytes: 1 },
      limits: { framesPerSecond: 1e9, bytesPerSecond: 1e12 },
    });
  let host = makeHost();
  const clients: LeaseClient[] = [];
  for (const name of names) {
    const records = await memoryStore().open("shop");
    clients.push({
      name,
      map: createReplicatedMap({ resolvers: rules, clockOptions: { now: fake.timers.now } }),
      records,
      session: undefined,
      resets: [],
      errors: [],
    });
  }
  const online = (c: LeaseClient): void => {
    if (c.session !== undefined) return;
    const s = connect(c.map, {
      document: "shop",
      dial: async () => dialTo(host)(),
      store: c.records,
      timers: fake.timers,
    });
    s.on("reset", (floor) => c.resets.push(floor));
    s.on("error", (e) => c.errors.push(e));
    c.session = s;
  };
  const offline = async (c: LeaseClient): Promise<void> => {
    const s = c.session;
    c.session = undefined;
    await s?.close();
  };
  /** Lets messages flow until every online client is synced with the host (bounded). */
  const quiesce = async (): Promise<void> => {
    const doc = await host.document("shop");
    for (let round = 0; round < 200; round++) {
      await settle(3);
      const live = clients.filter((c) => c.session !== undefined);
      if (
        live.every(
          (c) => c.session?.status() === "synced" && hex(c.map.encodeState()) === hex(doc.encodeState()),
        )
      )
        return;
      fake.advance(5);
    }
    throw new Error(
      `no quiescence: ${clients.map((c) => `${c.name}:${c.session?.status() ?? "off"}/${c.session?.outboxSize() ?? "-"}`).join(" ")}`,
    );
  };
  /** The host's stored peer records: leases by replica id, and the floor. */
  const storedPeers = async (): Promise<Map<string, { vector: VersionVector; seenAt: number }>> => {
    const records = await (await hostStore.open("shop")).load();
    return new Map(
      records.peers.map((p) => [p.peer, { vector: decodeVersionVector(p.vector), seenAt: p.seenAt }]),
    );
  };
  const restart = async (): Promise<void> => {
    await host.close();
    host = makeHost();
  };
  return {
    fake,
    get host() {
      return host;
    },
    restart,
    batches,
    clients,
    online,
    offline,
    quiesce,
    storedPeers,
  };
}
