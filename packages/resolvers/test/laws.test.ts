import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cluster, hex, prng, REPLICA_IDS, stepsArb, view } from "./harness.ts";

/**
 * Laws of every built-in resolver, checked on whole maps whose keys use all of them: states are
 * produced by random histories (local operations interleaved with syncs over every path).
 */
describe("resolver laws on maps using every built-in", () => {
  it("merge is commutative, associative and idempotent (byte-identical states)", () => {
    fc.assert(
      fc.property(stepsArb(3), (steps) => {
        const c = cluster(3);
        for (const s of steps) c.run(s);
        const [a, b, d] = c.replicas.map((m) => m.encodeState()) as [Uint8Array, Uint8Array, Uint8Array];
        const merged = (...payloads: Uint8Array[]): string => {
          const m = c.fresh();
          for (const p of payloads) m.applyState(p);
          return hex(m.encodeState());
        };
        expect(merged(a, b)).toBe(merged(b, a));
        expect(merged(merged2(a, b), d)).toBe(merged(a, merged2(b, d)));
        expect(merged(a, a)).toBe(merged(a));
        expect(merged(a, b, a, b)).toBe(merged(a, b));
        function merged2(x: Uint8Array, y: Uint8Array): Uint8Array {
          const m = c.fresh();
          m.applyState(x);
          m.applyState(y);
          return m.encodeState();
        }
      }),
    );
  });

  it("op path, delta path and full-state path reach the same bytes", () => {
    fc.assert(
      fc.property(stepsArb(3), fc.nat(), (steps, seed) => {
        const c = cluster(3);
        for (const s of steps) c.run(s);
        const source = c.replicas[0];
        if (source === undefined) throw new Error("no replica");
        const viaState = c.fresh();
        viaState.applyState(source.encodeState());
        const viaDelta = c.fresh();
        viaDelta.applyDelta(source.encodeDelta(viaDelta.versionVector()));
        const viaOps = c.fresh();
        const seen = source.versionVector();
        const rand = prng(seed);
        const ops = c.ops.filter((o) => seen.includes(REPLICA_IDS[o.origin] as string, o.seq));
        for (const o of [...ops, ...ops].sort(() => rand() - 0.5)) viaOps.applyOp(o.bytes);
        const expected = hex(source.encodeState());
        expect(hex(viaState.encodeState())).toBe(expected);
        expect(hex(viaDelta.encodeState())).toBe(expected);
        expect(hex(viaOps.encodeState())).toBe(expected);
        expect(view(viaOps)).toBe(view(source));
      }),
    );
  });

  it("a local operation only inflates: merging the state before it changes nothing", () => {
    fc.assert(
      fc.property(stepsArb(2), (steps) => {
        const c = cluster(2);
        let before = c.replicas[0]?.encodeState() ?? new Uint8Array();
        for (const s of steps) {
          c.run(s);
          const m = c.replicas[0];
          if (m === undefined) throw new Error("no replica");
          const after = hex(m.encodeState());
          m.applyState(before);
          expect(hex(m.encodeState())).toBe(after);
          before = m.encodeState();
        }
      }),
    );
  });

  it("all replicas converge after a final exchange, in any order", () => {
    fc.assert(
      fc.property(stepsArb(3, 60), fc.nat(), (steps, seed) => {
        const c = cluster(3);
        for (const s of steps) c.run(s);
        const rand = prng(seed);
        const states = c.replicas.map((m) => m.encodeState());
        for (const m of c.replicas) for (const s of [...states].sort(() => rand() - 0.5)) m.applyState(s);
        const bytes = c.replicas.map((m) => hex(m.encodeState()));
        expect(new Set(bytes).size).toBe(1);
        expect(new Set(c.replicas.map(view)).size).toBe(1);
        const rebuilt = c.fresh();
        for (const s of states) rebuilt.applyState(s);
        expect(hex(rebuilt.encodeState())).toBe(bytes[0]);
      }),
    );
  });
});
