import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cluster, hex, stepsArb, view } from "./harness.ts";

describe("compaction", () => {
  it("never changes a value, and replicas still converge afterwards", () => {
    fc.assert(
      fc.property(stepsArb(3), stepsArb(3, 20), fc.nat(2), (before, after, who) => {
        const c = cluster(3);
        for (const s of before) c.run(s);
        // Everyone tells `who` what it has seen; `who` collects what all of them have seen.
        const m = c.replicas[who];
        if (m === undefined) throw new Error("no replica");
        const peers = c.replicas.filter((r) => r !== m).map((r) => r.versionVector());
        const seen = view(m);
        m.compact(peers);
        expect(view(m)).toBe(seen);
        for (const s of after) c.run(s);
        const states = c.replicas.map((r) => r.encodeState());
        for (const r of c.replicas) for (const s of states) r.applyState(s);
        expect(new Set(c.replicas.map(view)).size).toBe(1);
      }),
    );
  });

  it("collects tombstones and register metadata once every replica has seen them", () => {
    const c = cluster(2);
    const [a, b] = c.replicas as [(typeof c.replicas)[0], (typeof c.replicas)[0]];
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
