import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { describe, expect, it } from "vitest";
import { allResolvers } from "./harness.ts";

// Counter amounts near 2^53: every replica's total stays a safe integer, so every read is exact.

const MAX = Number.MAX_SAFE_INTEGER;

function make(node: string): ReplicatedMap {
  return createReplicatedMap({ resolvers: allResolvers, clockOptions: { node, now: () => 1000 } });
}

function gather(into: ReplicatedMap, from: readonly ReplicatedMap[]): void {
  for (const m of from) into.applyDelta(m.encodeDelta(into.versionVector()));
}

describe("counters near 2^53", () => {
  // Found: the read summed records in doubles and took the exact path only when the final total
  // was unsafe, so a partial sum past 2^53 rounded and came back into range wrong: records
  // 2^53 - 1, 2 and -(2^53 - 1) read 1, not 2.
  it("a total back in range after a partial sum past 2^53 reads exactly (regression)", () => {
    const a = make("00000000000000a1");
    const b = make("00000000000000b2");
    const c = make("00000000000000c3");
    // The read walks records from the highest replica id down: c, b, then a.
    c.increment("pn:x", MAX);
    b.increment("pn:x", 2);
    a.decrement("pn:x", MAX);
    const all = make("0000000000000001");
    gather(all, [a, b, c]);
    expect(all.get("pn:x")).toBe(2);
    // Increments are checked against the exact total too: 2 + (2^53 - 3) is still safe.
    all.increment("pn:x", MAX - 2);
    expect(all.get("pn:x")).toBe(MAX);
  });
});
