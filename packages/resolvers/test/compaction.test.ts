import { createReplicatedMap } from "@converge/core";
import { assertConvergence } from "@converge/core/testing";
import { describe, expect, it } from "vitest";
import { allResolvers, hex, MIXED_KEYS, REPLICA_IDS, smallValue } from "./harness.ts";

describe("compaction", () => {
  it("never changes a value, and replicas still converge afterwards", async () => {
    // The simulator compacts any replica at any point, with every peer's current or an earlier
    // reported vector, replays stale payloads afterwards, and checks every read against what the
    // replica has seen after each command, then byte-identical convergence at quiescence.
    const report = await assertConvergence({
      rules: allResolvers,
      keys: MIXED_KEYS,
      values: smallValue,
      replicas: { min: 3, max: 3 },
    });
    expect(report.ok).toBe(true);
    expect(report.runs).toBeGreaterThan(0);
  }, 120_000);

  it("collects tombstones and register metadata once every replica has seen them", () => {
    const [a, b] = REPLICA_IDS.slice(0, 2).map((node) =>
      createReplicatedMap({ resolvers: allResolvers, clockOptions: { node, now: () => 1_700_000_000_000 } }),
    ) as [ReturnType<typeof createReplicatedMap>, ReturnType<typeof createReplicatedMap>];
    for (let i = 0; i < 50; i++) {
      a.set(`lww:${i}`, i);
      a.increment(`pn:${i}`, i + 1);
    }
    b.applyState(a.encodeState());
    for (let i = 0; i < 50; i++) {
      b.delete(`lww:${i}`);
      b.delete(`pn:${i}`);
    }
    a.applyState(b.encodeState());
    const full = a.encodeState().length;
    expect(a.compact([b.versionVector()])).toBe(100);
    expect(b.compact([a.versionVector()])).toBe(100);
    expect(a.encodeState().length).toBeLessThan(full / 10);
    expect(hex(a.encodeState())).toBe(hex(b.encodeState()));
    expect(a.size).toBe(0);
  });
});
