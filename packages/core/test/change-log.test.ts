import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChangeLog } from "../src/change-log.ts";
import { versionVector } from "../src/index.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("ChangeLog.keysAfter", () => {
  it("names every slot with an operation past the vector: runs, scattered buckets, stragglers", () => {
    // [replica, seq, slot]: stragglers land in buckets already left (kept as runs or copies).
    const opArb = fc.tuple(fc.constantFrom(A, B), fc.integer({ min: 1, max: 2000 }), fc.nat(3000));
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.nat(3000),
        (stragglers, sinceA, sinceB, freed) => {
          const log = new ChangeLog();
          const recorded: [string, number, number][] = [];
          const record = (r: string, seq: number, slot: number): void => {
            log.record(r, seq, slot);
            recorded.push([r, seq, slot]);
          };
          // A writes new keys in order (consecutive slots: runs), B rewrites scattered ones.
          for (let seq = 1; seq <= 1200; seq++) record(A, seq, seq - 1);
          for (let seq = 1; seq <= 600; seq++) record(B, seq, (seq * 7) % 1200);
          for (const [r, seq, slot] of stragglers) record(r, seq, slot);
          for (let seq = 1201; seq <= 1500; seq++) record(A, seq, seq - 1);
          const since = versionVector([
            [A, sinceA],
            [B, sinceB],
          ]);
          const keyAt = (slot: number): string | undefined => (slot === freed ? undefined : `k${slot}`);
          const keys = log.keysAfter(since, keyAt);
          // Every stored slot with an operation past `since` is named (extras only cost a check);
          // a free slot never is.
          for (const [r, seq, slot] of recorded)
            if (seq > since.get(r) && slot !== freed) expect(keys.has(`k${slot}`)).toBe(true);
          expect(keys.has(`k${freed}`)).toBe(false);
        },
      ),
    );
  });
});
