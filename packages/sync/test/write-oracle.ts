import type { ReplicatedMap } from "@converge/core";
import { compareTimestamps, type Timestamp } from "@converge/hlc";

/**
 * The oracle of the scale-out tests: what the writers did, not what the replicas say. Counters
 * (`stock:*`, pncounter) must read the sum of every increment made; lww keys (`title:*`) the value
 * of the write with the largest HLC time; every writer's last sequence number must be in the
 * checked replica's vector. Writes are recorded as they are made; `acked` records which of them a
 * host acknowledged, so a check can also say which acknowledged write is missing.
 */
export interface WriteOracle {
  readonly increment: (map: ReplicatedMap, key: string, amount: number) => void;
  readonly set: (map: ReplicatedMap, key: string, value: number) => void;
  /** A host acknowledged `upTo` for `map`'s replica. */
  readonly acked: (map: ReplicatedMap, upTo: number) => void;
  /** How many writes were made, and how many of them were acknowledged. */
  readonly counts: () => { readonly writes: number; readonly acked: number };
  /** What `replica` gets wrong, one line per problem (empty: it has every write). */
  readonly problems: (replica: ReplicatedMap) => string[];
}

interface Made {
  readonly writer: string;
  readonly seq: number;
  readonly key: string;
  readonly value: number;
  readonly time: Timestamp | undefined;
}

/** Builds an empty {@link WriteOracle}. */
export function writeOracle(): WriteOracle {
  const made: Made[] = [];
  const ackedUpTo = new Map<string, number>();
  const seqOf = (map: ReplicatedMap): number => map.versionVector().get(map.id);
  const isAcked = (m: Made): boolean => (ackedUpTo.get(m.writer) ?? 0) >= m.seq;
  return {
    increment: (map, key, amount) => {
      map.increment(key, amount);
      made.push({ writer: map.id, seq: seqOf(map), key, value: amount, time: undefined });
    },
    set: (map, key, value) => {
      map.set(key, value);
      const [mine] = map.conflicts(key);
      if (mine === undefined) throw new Error(`a write to ${key} with no value`);
      made.push({ writer: map.id, seq: seqOf(map), key, value, time: mine.time });
    },
    acked: (map, upTo) => {
      if (upTo > (ackedUpTo.get(map.id) ?? 0)) ackedUpTo.set(map.id, upTo);
    },
    counts: () => ({ writes: made.length, acked: made.filter(isAcked).length }),
    problems: (replica) => {
      const out: string[] = [];
      const sums = new Map<string, number>();
      const latest = new Map<string, Made>();
      const last = new Map<string, Made>();
      for (const m of made) {
        const prev = last.get(m.writer);
        if (prev === undefined || m.seq > prev.seq) last.set(m.writer, m);
        if (m.time === undefined) sums.set(m.key, (sums.get(m.key) ?? 0) + m.value);
        else {
          const best = latest.get(m.key);
          if (best?.time === undefined || compareTimestamps(m.time, best.time) > 0) latest.set(m.key, m);
        }
      }
      for (const [key, sum] of sums) {
        const got = replica.get(key) ?? 0;
        if (got !== sum) out.push(`${key}: ${String(got)}, expected the sum of every increment, ${sum}`);
      }
      for (const [key, m] of latest) {
        const got = replica.get(key);
        if (got !== m.value)
          out.push(
            `${key}: ${String(got)}, expected ${m.value} (${isAcked(m) ? "acknowledged" : "unacknowledged"} write of ${m.writer})`,
          );
      }
      const vector = replica.versionVector();
      for (const [writer, m] of last)
        if (vector.get(writer) < m.seq)
          out.push(`writer ${writer}: seq ${vector.get(writer)} in the vector, its last write is ${m.seq}`);
      return out;
    },
  };
}
