import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pncounter } from "../src/index.ts";

/**
 * A counter's records are shared between the states that hold them (each state is its last
 * record, linked to the ones before it), so a merge that adds records after all of a state's
 * allocates only those. These tests check that sharing against an oracle of the operations made:
 * values, per-replica contributions and bytes do not depend on the order states arrive in, and no
 * merge changes a state another state (or a snapshot) still reads.
 */

const KEYS = ["k0", "k1", "k2"] as const;

function nodeId(i: number): string {
  return (i + 1).toString(16).padStart(16, "0");
}

function counterMap(node: string): ReplicatedMap {
  return createReplicatedMap({ resolvers: { default: pncounter() }, clockOptions: { node } });
}

/** Per replica, per key: the amounts it adds (0 = leaves the key alone). */
const histories = fc.array(
  fc.array(fc.integer({ min: -5, max: 9 }), { minLength: KEYS.length, maxLength: KEYS.length }),
  { minLength: 1, maxLength: 12 },
);

/** Builds one replica per history, each counting on its own, and returns their encoded states. */
function states(amounts: readonly (readonly number[])[]): Uint8Array[] {
  return amounts.map((row, r) => {
    const map = counterMap(nodeId(r));
    row.forEach((amount, k) => {
      if (amount !== 0) map.increment(KEYS[k] as string, amount);
    });
    return map.encodeState();
  });
}

/** What the operations made add up to: per key, the sum; absent when no replica counted on it. */
function expected(amounts: readonly (readonly number[])[], k: number): number | undefined {
  const touched = amounts.some((row) => row[k] !== 0);
  return touched ? amounts.reduce((s, row) => s + (row[k] as number), 0) : undefined;
}

describe("counter merges share records", () => {
  it("a fresh replica taking every replica's state, in any order, reads the oracle's sums", () => {
    fc.assert(
      fc.property(
        histories.chain((amounts) =>
          fc.tuple(
            fc.constant(amounts),
            fc.shuffledSubarray(
              amounts.map((_, r) => r),
              { minLength: amounts.length },
            ),
          ),
        ),
        ([amounts, order]) => {
          const encoded = states(amounts);
          const inOrder = counterMap("00000000000000ff");
          for (const s of encoded) inOrder.applyState(s);
          const shuffled = counterMap("00000000000000fe");
          for (const r of order) shuffled.applyState(encoded[r] as Uint8Array);
          KEYS.forEach((key, k) => {
            expect(inOrder.get(key), key).toBe(expected(amounts, k));
            expect(shuffled.get(key), key).toBe(expected(amounts, k));
            // One contribution per replica that counted on the key, its own net amount.
            const contributions = amounts
              .map((row, r): [string, number] => [nodeId(r), row[k] as number])
              .filter(([, amount]) => amount !== 0);
            const seen = shuffled.conflicts(key).map((c): [string, unknown] => [c.replica, c.value]);
            expect(seen).toEqual(contributions);
          });
          expect(shuffled.encodeState()).toEqual(inOrder.encodeState());
        },
      ),
    );
  });

  it("a snapshot taken before each state arrives still reads what was merged by then", () => {
    const replicas = 16;
    const amount = (r: number, k: number): number => ((r * 7 + k * 3) % 11) - 4 || 1;
    const encoded = Array.from({ length: replicas }, (_, r) => {
      const map = counterMap(nodeId(r));
      KEYS.forEach((key, k) => {
        map.increment(key, amount(r, k));
      });
      return map.encodeState();
    });
    const fresh = counterMap("00000000000000ff");
    const snapshots = encoded.map((s) => {
      const before = fresh.snapshot();
      fresh.applyState(s);
      return before;
    });
    const prefixSum = (n: number, k: number): number => {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += amount(r, k);
      return sum;
    };
    snapshots.forEach((snap, n) => {
      KEYS.forEach((key, k) => {
        expect(snap.get(key), `${key} before state ${n}`).toBe(n === 0 ? undefined : prefixSum(n, k));
        expect(snap.conflicts(key).length, `${key} before state ${n}`).toBe(n);
      });
    });
    KEYS.forEach((key, k) => {
      expect(fresh.get(key)).toBe(prefixSum(replicas, k));
    });
  });

  it("merging one state into two different replicas leaves both right (no shared record changes)", () => {
    // b and c both start from a's state, then each takes another replica's records: records a's
    // state shares with both must not change under either merge.
    const a = counterMap(nodeId(0));
    a.increment("k0", 5);
    const b = counterMap(nodeId(1));
    const c = counterMap(nodeId(2));
    b.applyState(a.encodeState());
    c.applyState(a.encodeState());
    const later = [counterMap(nodeId(3)), counterMap(nodeId(4))];
    (later[0] as ReplicatedMap).increment("k0", 2);
    (later[1] as ReplicatedMap).decrement("k0", 3);
    b.applyState((later[0] as ReplicatedMap).encodeState());
    c.applyState((later[1] as ReplicatedMap).encodeState());
    b.increment("k0", 1);
    c.delete("k0");
    expect(a.get("k0")).toBe(5);
    expect(b.get("k0")).toBe(8);
    expect(c.get("k0")).toBeUndefined();
    b.applyState(c.encodeState());
    c.applyState(b.encodeState());
    // c's delete observed a's 5 and the -3; b's 2 and 1 were concurrent with it.
    expect(b.get("k0")).toBe(3);
    expect(c.get("k0")).toBe(3);
    expect(b.encodeState()).toEqual(c.encodeState());
  });
});
