import type { ReplicatedMap } from "@converge/core";
import { compareTimestamps, type Timestamp } from "@converge/hlc";

/**
 * One operation a client made: who, when (wall ms of the test), what, and — once the client's
 * server acknowledged the client's vector past it — when it was acknowledged.
 */
export interface HistoryOp {
  readonly client: string;
  readonly replica: string;
  readonly seq: number;
  readonly at: number;
  readonly key: string;
  readonly op: "set" | "delete" | "increment";
  readonly value?: unknown;
  readonly amount?: number;
  /** For a `set`: the write's HLC timestamp, read back from `conflicts(key)`. */
  readonly time?: Timestamp;
  ackedAt?: number;
}

/**
 * A Jepsen-style history: every operation of every client, checked after quiescence against the
 * resolvers' semantics (docs/SEMANTICS.md) instead of against the replicas alone.
 *
 * Key families (the caller's rules must match): `c:*` counters (increments only: the final value
 * is the sum of every amount), `l:*` last-writer-wins registers written by many clients with sets
 * only (the final value is the write with the highest HLC timestamp: a causally later write always
 * has a higher one, so the global maximum is always live), `u:*` keys each written and deleted by
 * one client only, in order (present with the last set's value when the last operation is a set,
 * absent when it is a delete).
 */
export interface History {
  /** Makes and records `set` on `map` (client `client`). */
  readonly set: (client: string, map: ReplicatedMap, key: string, value: unknown) => void;
  readonly increment: (client: string, map: ReplicatedMap, key: string, amount: number) => void;
  readonly delete: (client: string, map: ReplicatedMap, key: string) => void;
  /** A client's server acknowledged `replica`'s operations up to `upTo`. */
  readonly acked: (replica: string, upTo: number) => void;
  readonly ops: () => readonly HistoryOp[];
  /**
   * Checks a final state: one line per violation, naming the write (client, seq, time, key, and
   * whether it had been acknowledged): a lost write, a resurrected one, a wrong counter.
   */
  readonly check: (final: ReplicatedMap) => string[];
}

/** A fresh {@link History}; `now` gives the time recorded with each operation (default `Date.now`). */
export function history(now: () => number = Date.now): History {
  const ops: HistoryOp[] = [];
  const byReplica = new Map<string, HistoryOp[]>();
  const record = (op: HistoryOp): void => {
    ops.push(op);
    const list = byReplica.get(op.replica) ?? [];
    list.push(op);
    byReplica.set(op.replica, list);
  };
  const seqOf = (map: ReplicatedMap): number => map.versionVector().get(map.id);
  const name = (o: HistoryOp): string =>
    `${o.op} ${o.key}${o.op === "set" ? `=${JSON.stringify(o.value)}` : o.op === "increment" ? ` by ${o.amount}` : ""}` +
    ` by client ${o.client} (seq ${o.seq}, at ${o.at}, ${o.ackedAt === undefined ? "never acknowledged" : `acknowledged at ${o.ackedAt}`})`;

  return {
    set: (client, map, key, value) => {
      map.set(key, value as never);
      const seq = seqOf(map);
      const mine = map.conflicts(key).find((c) => c.replica === map.id && c.seq === seq);
      record({
        client,
        replica: map.id,
        seq,
        at: now(),
        key,
        op: "set",
        value,
        ...(mine === undefined ? {} : { time: mine.time }),
      });
    },
    increment: (client, map, key, amount) => {
      map.increment(key, amount);
      record({ client, replica: map.id, seq: seqOf(map), at: now(), key, op: "increment", amount });
    },
    delete: (client, map, key) => {
      map.delete(key);
      record({ client, replica: map.id, seq: seqOf(map), at: now(), key, op: "delete" });
    },
    acked: (replica, upTo) => {
      const t = now();
      for (const o of byReplica.get(replica) ?? [])
        if (o.seq <= upTo && o.ackedAt === undefined) o.ackedAt = t;
    },
    ops: () => ops,
    check: (final) => {
      const problems: string[] = [];
      const keys = new Map<string, HistoryOp[]>();
      for (const o of ops) {
        const list = keys.get(o.key) ?? [];
        list.push(o);
        keys.set(o.key, list);
      }
      for (const [key, list] of keys) {
        if (key.startsWith("c:")) {
          const want = list.reduce((s, o) => s + (o.amount ?? 0), 0);
          const got = final.get(key);
          if (got !== want) {
            problems.push(
              `counter ${key} reads ${String(got)}, but its ${list.length} increments sum to ${want}`,
            );
          }
        } else if (key.startsWith("l:")) {
          let newest: HistoryOp | undefined;
          for (const o of list) {
            if (o.time === undefined) {
              problems.push(`no timestamp recorded for ${name(o)}`);
              continue;
            }
            if (newest?.time === undefined || compareTimestamps(o.time, newest.time) > 0) newest = o;
          }
          const got = final.get(key);
          if (newest !== undefined && JSON.stringify(got) !== JSON.stringify(newest.value)) {
            const shown = list.find((o) => JSON.stringify(o.value) === JSON.stringify(got));
            problems.push(
              `lost write: ${name(newest)} is the newest on ${key}, but it reads ${JSON.stringify(got)}` +
                (shown === undefined ? " (a value nobody wrote)" : ` (from ${name(shown)})`),
            );
          }
        } else if (key.startsWith("u:")) {
          const last = list.reduce((a, b) => (b.seq > a.seq ? b : a));
          if (last.op === "delete" && final.has(key)) {
            problems.push(
              `resurrected write: ${key} reads ${JSON.stringify(final.get(key))} after ${name(last)}`,
            );
          } else if (last.op === "set" && JSON.stringify(final.get(key)) !== JSON.stringify(last.value)) {
            problems.push(`lost write: ${name(last)}; the key reads ${JSON.stringify(final.get(key))}`);
          }
        }
      }
      return problems;
    },
  };
}
