import type { ReplicatedMap } from "@converge/core";
import { type ConvergeError, isConvergeError } from "@converge/hlc";
import type { MetricsSink } from "./metrics.ts";
import type { DocumentStore, OutboxEntry } from "./store.ts";
import { type DocumentKeeper, Keeper, type LoadedReplica } from "./store-policy.ts";

/** @internal Records found damaged: the session rebuilds from the server, then re-applies `ops`. */
export interface Damage {
  readonly error: ConvergeError;
  /** Readable unacknowledged ops of a previous replica id (`loadReplica` gave a fresh one). */
  readonly ops: readonly Uint8Array[];
}

/** @internal A session's outbox and its store: load, commit before send, acks, rewrites. */
export interface SessionOutbox {
  /** Settles once the store is loaded (or refused) and any repair committed. */
  readonly ready: Promise<void>;
  readonly entries: () => readonly OutboxEntry[];
  readonly ackTo: (seq: number) => void;
  /** Queues every local op of `map`; `committed(op)` runs once it is durable, in op order. */
  readonly attach: (map: ReplicatedMap, committed: (op: Uint8Array) => void) => () => void;
  /** Resolves once every op queued so far is committed and handed to `committed`. */
  readonly settled: () => Promise<void>;
  /** Queues a merged payload for the log. */
  readonly append: (payload: Uint8Array) => void;
  /** Rewrites the records as a snapshot of the map's state (after a reset or a rebuild). */
  readonly rewrite: () => void;
  /** What damage the load found, until the rebuild from the server is done. */
  readonly damage: () => Damage | undefined;
  readonly repaired: () => void;
  readonly flush: () => Promise<void>;
}

/** @internal Builds a session's {@link SessionOutbox}; `report` gets store failures. */
export function sessionOutbox(
  store: DocumentStore | undefined,
  loaded: LoadedReplica | undefined,
  map: () => ReplicatedMap | undefined,
  report: (error: ConvergeError) => void,
  metrics: MetricsSink | undefined,
): SessionOutbox {
  let outbox: OutboxEntry[] = [];
  let keeper: DocumentKeeper | undefined;
  let damage: Damage | undefined;
  /** Sends of local ops, each after its commit (with a store), in op order. */
  let sends: Promise<void> = Promise.resolve();
  const reportStore = (e: unknown): void => {
    if (isConvergeError(e)) report(e);
  };
  const gauge = (): void => metrics?.gauge("outbox_depth", outbox.length);
  const source = {
    get map() {
      return map() as ReplicatedMap;
    },
  };

  const load = async (): Promise<void> => {
    if (loaded?.damaged !== undefined)
      damage = { error: loaded.damaged, ops: loaded.outbox.map((e) => e.op) };
    if (store === undefined) return;
    let stored: { readonly outbox: readonly OutboxEntry[]; readonly logBytes: number };
    if (loaded?.damaged !== undefined) {
      // A fresh replica id: the old id's entries leave the outbox, their ops travel in the state.
      const repair = new Keeper(store, source);
      const top = loaded.outbox.reduce((n, e) => Math.max(n, e.seq), 0);
      if (top > 0) await repair.ackUpTo(top);
      await repair.rewrite();
      stored = { outbox: [], logBytes: 0 };
    } else if (loaded !== undefined) stored = loaded;
    else {
      try {
        const records = await store.load();
        if (records.damaged !== undefined) damage = { error: records.damaged, ops: [] };
        stored = { outbox: records.outbox, logBytes: records.log.reduce((n, p) => n + p.length, 0) };
      } catch (e) {
        if (!isConvergeError(e, "STORE_CORRUPT")) throw e;
        // Refused whole: nothing of it is readable, and the store stays refused (memory only).
        damage = { error: e, ops: [] };
        return;
      }
    }
    const known = new Set(stored.outbox.map((e) => e.seq));
    const made = outbox.filter((e) => !known.has(e.seq));
    outbox = [...stored.outbox, ...made].sort((a, b) => a.seq - b.seq);
    keeper = new Keeper(store, source, undefined, undefined, stored.logBytes);
    // Operations made while the store was loading are committed now.
    for (const e of made) void keeper.addLocal(e).catch(reportStore);
  };
  const ready = load().catch(reportStore);

  return {
    ready,
    entries: () => outbox,
    ackTo: (seq) => {
      if (outbox.length === 0 || (outbox[0] as OutboxEntry).seq > seq) return;
      outbox = outbox.filter((e) => e.seq > seq);
      gauge();
      void keeper?.ackUpTo(seq).catch(reportStore);
    },
    attach: (m, committed) =>
      m.onOp((op) => {
        const entry: OutboxEntry = { seq: m.seqOf(m.id), op };
        outbox.push(entry);
        gauge();
        if (store === undefined) committed(op);
        else {
          // With a store, an op reaches the network only once it is durable here: after a crash the
          // records hold every op the server may have seen from this replica, so a restarted replica
          // with the same id never reuses one of their sequence numbers. Sends keep op order.
          const done = keeper !== undefined ? keeper.addLocal(entry) : ready.then(() => keeper?.flush());
          sends = sends.then(() => done).then(() => committed(op), reportStore);
        }
      }),
    settled: async () => {
      await ready;
      await keeper?.flush();
      await sends;
    },
    append: (payload) => {
      void keeper?.append(payload).catch(reportStore);
    },
    rewrite: () => {
      void keeper?.rewrite().catch(reportStore);
    },
    damage: () => damage,
    repaired: () => {
      damage = undefined;
    },
    flush: async () => {
      await ready;
      await keeper?.flush();
    },
  };
}
