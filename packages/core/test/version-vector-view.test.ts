import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReplicatedMap, type ReplicatedMap, type VersionVector } from "../src/index.ts";
import { hex, replica, rules, type TestTime } from "./fixtures.ts";

const IDS = ["00000000000000a1", "00000000000000b2", "00000000000000c3"] as const;

type Step =
  | { readonly op: "write"; readonly r: number; readonly key: string; readonly value: number | null }
  | {
      readonly op: "send";
      readonly from: number;
      readonly to: number;
      readonly kind: "state" | "delta" | "op";
    }
  | { readonly op: "replace"; readonly from: number; readonly to: number }
  | { readonly op: "compact"; readonly r: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("write" as const),
    r: fc.nat(2),
    key: fc.constantFrom("a", "b", "mv:x"),
    value: fc.option(fc.nat(9)),
  }),
  fc.record({
    op: fc.constant("send" as const),
    from: fc.nat(2),
    to: fc.nat(2),
    kind: fc.constantFrom("state" as const, "delta" as const, "op" as const),
  }),
  fc.record({ op: fc.constant("replace" as const), from: fc.nat(2), to: fc.nat(2) }),
  fc.record({ op: fc.constant("compact" as const), r: fc.nat(2) }),
);

/** What a replica decoded afresh from `m`'s bytes says it has seen: computed, never a kept answer. */
const fresh = (m: ReplicatedMap): [string, number][] =>
  createReplicatedMap({ resolvers: rules, state: m.encodeState() }).versionVector().entries();

describe("versionVector()", () => {
  it("answers the same object until the vector changes, and always what the replica has seen", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const time: TestTime = { now: 1_000 };
        const maps = IDS.map((id) => replica(id, time));
        const ops: Uint8Array[][] = maps.map(() => []);
        maps.forEach((m, i) => {
          m.onOp((op) => {
            ops[i]?.push(op);
          });
        });
        // Per replica: the last vector it answered, what it held then, and its bytes then.
        const last = maps.map((m) => ({
          vector: m.versionVector(),
          entries: fresh(m),
          bytes: hex(m.encodeState()),
        }));
        for (const s of steps) {
          time.now += 1;
          if (s.op === "write") {
            const m = maps[s.r] as ReplicatedMap;
            if (s.value === null) m.delete(s.key);
            else m.set(s.key, s.value);
          } else if (s.op === "compact") {
            (maps[s.r] as ReplicatedMap).compact(maps.map((m) => m.versionVector()));
          } else if (s.op === "replace") {
            (maps[s.to] as ReplicatedMap).replaceState((maps[s.from] as ReplicatedMap).encodeState());
          } else {
            const from = maps[s.from] as ReplicatedMap;
            const to = maps[s.to] as ReplicatedMap;
            if (s.kind === "state") to.apply(from.encodeState());
            else if (s.kind === "delta") to.apply(from.encodeDelta(to.versionVector()));
            else for (const op of (ops[s.from] ?? []).slice(-3)) to.apply(op);
          }
          maps.forEach((m, i) => {
            const before = last[i] as { vector: VersionVector; entries: [string, number][]; bytes: string };
            const vector = m.versionVector();
            const entries = fresh(m);
            // The oracle: the vector of a replica decoded from this one's bytes.
            expect(vector.entries()).toEqual(entries);
            // A vector answered before is never changed by what the replica did since.
            expect(before.vector.entries()).toEqual(before.entries);
            // Nothing seen since: the same object (a host keeps it once for all it sends); a
            // replaceState starts over, whatever it brings.
            const bytes = hex(m.encodeState());
            const replaced = s.op === "replace" && s.to === i;
            if (bytes === before.bytes && !replaced) expect(vector).toBe(before.vector);
            last[i] = { vector, entries, bytes };
          });
        }
      }),
    );
  });
});
