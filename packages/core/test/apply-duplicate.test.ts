import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReplicatedMap } from "../src/index.ts";
import { hex, replica, type TestTime } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const C = "00000000000000c3";
const KEYS = ["a", "b", "mv:x", "mv:y"] as const;

/** [replica, key, value or null (a delete)], or a payload sent [from, to, kind]. */
type Step =
  | { readonly op: "write"; readonly r: number; readonly key: string; readonly value: number | null }
  | {
      readonly op: "send";
      readonly from: number;
      readonly to: number;
      readonly kind: "state" | "delta" | "op";
      readonly async: boolean;
    }
  | { readonly op: "compact"; readonly r: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("write" as const),
    r: fc.nat(2),
    key: fc.constantFrom(...KEYS),
    value: fc.option(fc.nat(9)),
  }),
  fc.record({
    op: fc.constant("send" as const),
    from: fc.nat(2),
    to: fc.nat(2),
    kind: fc.constantFrom("state" as const, "delta" as const, "op" as const),
    async: fc.boolean(),
  }),
  fc.record({ op: fc.constant("compact" as const), r: fc.nat(2) }),
);

describe("ApplyResult.duplicate", () => {
  it("is true exactly when an apply left the replica byte-identical (nothing new), for every kind", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 30 }), async (steps) => {
        const time: TestTime = { now: 1_000 };
        const maps: ReplicatedMap[] = [A, B, C].map((id) => replica(id, time));
        // Every op each replica made, kept to be sent (again) later.
        const ops: Uint8Array[][] = maps.map(() => []);
        maps.forEach((m, i) => {
          m.onOp((op) => {
            ops[i]?.push(op);
          });
        });
        for (const s of steps) {
          time.now += 1;
          if (s.op === "write") {
            const m = maps[s.r] as ReplicatedMap;
            if (s.value === null) m.delete(s.key);
            else m.set(s.key, s.value);
            continue;
          }
          if (s.op === "compact") {
            (maps[s.r] as ReplicatedMap).compact(maps.map((m) => m.versionVector()));
            continue;
          }
          const from = maps[s.from] as ReplicatedMap;
          const to = maps[s.to] as ReplicatedMap;
          const payloads =
            s.kind === "state"
              ? [from.encodeState()]
              : s.kind === "delta"
                ? [from.encodeDelta(to.versionVector())]
                : (ops[s.from] ?? []).slice(-3);
          for (const p of payloads) {
            const before = hex(to.encodeState());
            const result = s.async ? await to.applyAsync(p, { yieldTo: async () => {} }) : to.apply(p);
            const after = hex(to.encodeState());
            // The oracle: the replica's own bytes, before and after.
            expect(result.duplicate).toBe(before === after);
            if (result.duplicate) expect(result.changed).toBe(0);
          }
        }
      }),
    );
  });

  it("an empty catch-up delta, a state applied twice and an op applied twice are duplicates", () => {
    const time: TestTime = { now: 1_000 };
    const a = replica(A, time);
    const b = replica(B, time);
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    a.set("x", 1);
    a.set("x", 2);
    a.set("y", 2);
    expect(b.applyState(a.encodeState())).toEqual({ changed: 2, duplicate: false });
    expect(b.applyState(a.encodeState())).toEqual({ changed: 0, duplicate: true });
    // What a client with nothing new sends at each reconnect: a delta with no entries.
    expect(b.applyDelta(a.encodeDelta(b.versionVector()))).toEqual({ changed: 0, duplicate: true });
    expect(b.applyOp(ops[0] as Uint8Array)).toEqual({ changed: 0, duplicate: true });
    // News of the context alone: c took a's second write as an op, so a's state changes no key
    // there but tells c of the first write (overwritten): not a duplicate, and the bytes move.
    const d = replica("00000000000000d4", time);
    d.applyOp(ops[1] as Uint8Array);
    d.applyOp(ops[2] as Uint8Array);
    const stateBefore = hex(d.encodeState());
    expect(d.applyState(a.encodeState())).toEqual({ changed: 0, duplicate: false });
    expect(hex(d.encodeState())).not.toBe(stateBefore);
    // A delta with news is not a duplicate; the same delta again is.
    const c = replica(C, time);
    c.applyState(b.encodeState());
    a.set("y", 3);
    const delta = a.encodeDelta(c.versionVector());
    expect(c.applyDelta(delta).duplicate).toBe(false);
    expect(c.applyDelta(delta).duplicate).toBe(true);
  });
});
