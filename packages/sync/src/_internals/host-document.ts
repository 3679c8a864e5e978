import { createReplicatedMap, type ReplicatedMap, type VersionVector } from "@converge/core";
import type { ClockState } from "@converge/hlc";
import type { DocumentConfig } from "../host-types.ts";
import type { Timers } from "../session-types.ts";
import type { DocumentStore, PeerRecord, Store } from "../store.ts";
import { type DocumentKeeper, Keeper, loadReplica, SETTLED } from "../store-policy.ts";
import { fromByteString, toByteString } from "./byte-string.ts";
import { type LeaseClock, type LeaseTable, leaseTable } from "./lease-table.ts";
import { defaultTimers } from "./timers.ts";

/**
 * A sleep tick of a host's replica, in ms: a document unused for one whole tick (plus one tick
 * per 64 keys it holds, since waking decodes the whole state) is put to sleep — kept as its
 * encoded state — and woken on its next use.
 */
export const DEFAULT_SLEEP_TICK_MS = 250;

/** One document a host serves: its replica, its records and its open connections. */
export interface HostDocument<C> {
  readonly name: string;
  readonly config: DocumentConfig;
  /**
   * Its replica. Unused for a while, the replica sleeps (see {@link loadHostDocument}) and reading
   * this wakes it: read it again after an await rather than keeping it.
   */
  readonly map: ReplicatedMap;
  readonly keeper: DocumentKeeper;
  /**
   * Its open connections, in the order they were welcomed: an array replaced on each change
   * (never changed in place, so a loop over it meets every connection of when it began), not a
   * Set, whose table would cost a document with one connection 150 B.
   */
  connections: readonly C[];
  /** Its clients' leases and the compaction floor (compaction runs when the log folds). */
  readonly leases: LeaseTable<C>;
  /** Applies of this document run one after another (so change events belong to one apply). */
  chain: Promise<void>;
  /** Keys changed by the apply running now. */
  changed: Set<string> | undefined;
  /** What this turn's merges owe the connections, until it is relayed (see `host-merge.ts`). */
  relay: TurnRelay | undefined;
  nextClient: number;
}

/**
 * The merges of one turn of a document, relayed together: `from` is the document's vector before
 * the first of them, `changed` whether any changed it, `ops` the op payloads merged so far while
 * the turn is small enough to relay them as they came (null once it is not: then a delta),
 * `done` settles once the relay went out; `flush` sends it now (a compaction must not collect
 * what it has yet to carry).
 */
export interface TurnRelay {
  readonly from: VersionVector;
  changed: boolean;
  ops?: Uint8Array[] | null;
  readonly done: Promise<void>;
  readonly flush: () => void;
}

/** What {@link loadHostDocument} is told besides the store and the config. */
export interface HostDocumentHooks<C> extends LeaseClock<C> {
  /** After a compaction: tells the connections the floor used. */
  readonly compacted: (doc: HostDocument<C>, floor: VersionVector) => void;
  /** The timers the replica's sleep ticks on (default the platform's). */
  readonly timers?: Pick<Timers, "setTimeout">;
  /** A sleep tick in ms (default {@link DEFAULT_SLEEP_TICK_MS}; 0: the replica never sleeps). */
  readonly sleepTickMs?: number;
}

/**
 * A {@link HostDocument} as a class: a host keeps thousands, so the document is itself what its
 * keeper asks (no closure per hook), and its replica sleeps while unused.
 *
 * Sleep — laws: a replica nobody asked for during a whole tick (1 + ⌊size / 64⌋ of them) and with
 * no apply running (`changed`) is encoded and dropped behind a `WeakRef`. The next `map` wakes
 * it: the very same map when anything still held it (a `SyncHost.document` caller, a merge
 * awaiting), else one rebuilt from the encoded state with a clock of the same node restored from
 * the old clock's `Clock.state` (its id carries on, its HLC never goes back; host replicas use
 * the default time source and drift bound, as `loadReplica` makes them). A change reaching a sleeping map through a reference held elsewhere
 * wakes it at once, so no change is ever lost to a stale encoding.
 */
class Document<C> implements HostDocument<C> {
  readonly name: string;
  readonly config: DocumentConfig;
  readonly keeper: DocumentKeeper;
  connections: readonly C[] = [];
  readonly leases: LeaseTable<C>;
  chain: Promise<void> = SETTLED;
  changed: Set<string> | undefined;
  relay: TurnRelay | undefined;
  nextClient = 1;
  readonly #hooks: HostDocumentHooks<C>;
  #live: ReplicatedMap | undefined;
  /** While asleep: the encoded state (as a byte string), the clock's state, the map held weakly. */
  #state: string | undefined;
  #clock: ClockState | undefined;
  #ref: WeakRef<ReplicatedMap> | undefined;
  #used = false;
  #idle = 0;
  #armed = false;

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
    this.#hooks = hooks;
    this.leases = leaseTable<C>(loaded.peers, hooks);
    // The document is what its keeper reads the replica from and its hooks: no closure for either.
    this.keeper = new Keeper(records, this, this, compactBytes, loaded.logBytes);
    this.#watch(loaded.map);
    this.#awake(loaded.map);
  }

  /** Keeper hook: the leases' records since the last commit ride along with the next. */
  pendingPeers(): readonly PeerRecord[] {
    return this.leases.pending();
  }

  /** Keeper hook: compacts before a fold, unless an apply is in progress (applyAsync yields). */
  beforeSnapshot(): { readonly peers: readonly PeerRecord[]; readonly removePeers: readonly string[] } {
    if (this.changed !== undefined) return { peers: [], removePeers: [] };
    // What this turn merged goes to the connections first: the floor counts it as sent.
    this.relay?.flush();
    const batch = this.leases.compact(this.map);
    this.#hooks.compacted(this, batch.used);
    return batch;
  }

  get map(): ReplicatedMap {
    this.#used = true;
    return this.#live ?? this.#wake();
  }

  #tick(): void {
    this.#armed = false;
    const m = this.#live;
    if (m === undefined) return;
    if (this.#used || this.changed !== undefined) {
      this.#used = false;
      this.#idle = 0;
    } else if (++this.#idle > m.size >> 6) {
      this.#state = toByteString(m.encodeState());
      this.#clock = m.clock.state();
      this.#ref = new WeakRef(m);
      this.#live = undefined;
      return;
    }
    this.#arm();
  }

  #arm(): void {
    const ms = this.#hooks.sleepTickMs ?? DEFAULT_SLEEP_TICK_MS;
    if (this.#armed || ms === 0) return;
    this.#armed = true;
    // A closure per arm rather than one kept, so a sleeping document holds none. (No unref: a
    // process waits at most two ticks after the last use, until its documents sleep.)
    (this.#hooks.timers ?? defaultTimers).setTimeout(() => this.#tick(), ms);
  }

  /** The apply running collects the keys it changes; a change to a sleeping map wakes it. */
  #watch(m: ReplicatedMap): void {
    m.subscribe((event) => {
      if (this.#live === undefined && this.#ref?.deref() === m) this.#awake(m);
      const into = this.changed;
      if (into !== undefined) for (const key of event.keys) into.add(key);
    });
  }

  #wake(): ReplicatedMap {
    let m = this.#ref?.deref();
    if (m === undefined) {
      const clock = this.#clock as ClockState;
      m = createReplicatedMap({
        resolvers: this.config.rules,
        clockOptions: { node: clock.node, restore: clock },
        state: fromByteString(this.#state as string),
      });
      this.#watch(m);
    }
    this.#awake(m);
    return m;
  }

  #awake(m: ReplicatedMap): void {
    this.#live = m;
    this.#state = this.#clock = this.#ref = undefined;
    this.#arm();
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
