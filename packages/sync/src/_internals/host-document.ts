import type { ReplicatedMap, VersionVector } from "@converge/core";
import type { DocumentConfig } from "../host-types.ts";
import type { Timers } from "../session-types.ts";
import type { DocumentStore, PeerRecord, Store } from "../store.ts";
import { type DocumentKeeper, Keeper, type KeeperOwner, loadReplica } from "../store-policy.ts";
import { type LeaseTable, leaseTable } from "./lease-table.ts";
import { DEFAULT_SLEEP_TICK_MS, SleepingReplica, type SleepOptions } from "./sleeping-replica.ts";
import { defaultTimers } from "./timers.ts";

/** One document a host serves: its replica, its records and its open connections. */
export interface HostDocument<C> {
  readonly name: string;
  readonly config: DocumentConfig;
  /**
   * Its replica. Unused for a while, the replica sleeps (encoded; see `SleepingReplica`) and
   * reading this wakes it: read it again after an await rather than keeping it.
   */
  readonly map: ReplicatedMap;
  /** Whether the replica is asleep now. */
  readonly asleep: () => boolean;
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

/** What {@link loadHostDocument} is told besides the store and the config. */
export interface HostDocumentHooks<C> {
  readonly now: () => number;
  readonly leaseMs: number;
  /** What a connection has surely been sent (in order): its lease vector at compaction. */
  readonly sent: (conn: C) => VersionVector | undefined;
  /** After a compaction: tells the connections the floor used. */
  readonly compacted: (doc: HostDocument<C>, floor: VersionVector) => void;
  /** The timers the replica's sleep ticks on (default the platform's). */
  readonly timers?: Pick<Timers, "setTimeout">;
  /** A sleep tick in ms (default `DEFAULT_SLEEP_TICK_MS`; 0: the replica never sleeps). */
  readonly sleepTickMs?: number;
}

const SETTLED: Promise<void> = Promise.resolve();
const NOTHING_TO_ADD = { peers: [], removePeers: [] } as const;

/**
 * A {@link HostDocument} as a class: a host keeps thousands, so its parts are built once per
 * document with their methods on prototypes, and the document itself is what its sleeping
 * replica and its keeper ask (no closure per hook); the replica sleeps while unused
 * ({@link SleepingReplica}).
 */
class Document<C> implements HostDocument<C>, SleepOptions, KeeperOwner {
  readonly name: string;
  readonly config: DocumentConfig;
  readonly keeper: Keeper;
  readonly connections: Set<C> = new Set();
  readonly leases: LeaseTable<C>;
  chain: Promise<void> = SETTLED;
  changed: Set<string> | undefined = undefined;
  nextClient = 1;
  readonly rules: DocumentConfig["rules"];
  readonly timers: Pick<Timers, "setTimeout">;
  readonly tickMs: number;
  readonly #hooks: HostDocumentHooks<C>;
  readonly #replica: SleepingReplica;

  constructor(
    name: string,
    config: DocumentConfig,
    loaded: ReturnType<typeof loadReplica>,
    records: DocumentStore,
    compactBytes: number | undefined,
    hooks: HostDocumentHooks<C>,
  ) {
    this.name = name;
    this.config = config;
    this.rules = config.rules;
    this.timers = hooks.timers ?? defaultTimers;
    this.tickMs = hooks.sleepTickMs ?? DEFAULT_SLEEP_TICK_MS;
    this.#hooks = hooks;
    this.leases = leaseTable<C>(loaded.peers, hooks.now, hooks.leaseMs, hooks.sent);
    this.#replica = new SleepingReplica(loaded.map, this);
    this.keeper = new Keeper(records, this, compactBytes, loaded.logBytes);
  }

  get map(): ReplicatedMap {
    return this.#replica.map();
  }

  asleep(): boolean {
    return this.#replica.asleep();
  }

  /** The sleeper asks: an apply is running. */
  busy(): boolean {
    return this.changed !== undefined;
  }

  /** The sleeper hands each replica it makes: the apply running collects the keys it changes. */
  attach(map: ReplicatedMap): void {
    map.subscribe((event) => {
      const into = this.changed;
      if (into !== undefined) for (const c of event.changes) into.add(c.key);
    });
  }

  /** The keeper asks, at a commit that snapshots. */
  current(): ReplicatedMap {
    return this.map;
  }

  /** Lease records ride along with whatever commits next. */
  pendingPeers(): readonly PeerRecord[] {
    return this.leases.pending();
  }

  /** An apply in progress (applyAsync yields) is never compacted under: the next fold does it. */
  beforeSnapshot(): { readonly peers: readonly PeerRecord[]; readonly removePeers: readonly string[] } {
    if (this.changed !== undefined) return NOTHING_TO_ADD;
    const batch = this.leases.compact(this.map);
    this.#hooks.compacted(this, batch.used);
    return batch;
  }
}

/** Loads a document's replica from the store (snapshot, then log) and its keeper. */
export async function loadHostDocument<C>(
  store: Store,
  name: string,
  config: DocumentConfig,
  compactBytes: number | undefined,
  hooks: HostDocumentHooks<C>,
): Promise<HostDocument<C>> {
  const records = await store.open(name);
  const stored = await records.load();
  // A host is where its clients rebuild from: damaged records are refused, never served empty.
  if (stored.damaged !== undefined) throw stored.damaged;
  const loaded = loadReplica(stored, { resolvers: config.rules });
  return new Document(name, config, loaded, records, compactBytes, hooks);
}
