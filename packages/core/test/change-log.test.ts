import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChangeLog } from "../src/change-log.ts";
import { versionVector } from "../src/index.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("ChangeLog.keysAfter", () => {
  it("names every key with an operation past the vector, in order or not, across full buckets", () => {
    // [replica, seq, key]: runs in order (filling and leaving buckets of 256) and stragglers.
    const opArb = fc.tuple(fc.constantFrom(A, B), fc.integer({ min: 1, max: 2000 }), fc.nat(50));
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        (stragglers, sinceA, sinceB) => {
          const log = new ChangeLog();
          const recorded: [string, number, string][] = [];
          const record = (r: string, seq: number, key: string): void => {
            log.record(r, seq, key);
            recorded.push([r, seq, key]);
          };
          for (let seq = 1; seq <= 1200; seq++) record(A, seq, `a${seq % 300}`);
          for (const [r, seq, k] of stragglers) record(r, seq, `s${k}`);
          for (let seq = 1201; seq <= 1500; seq++) record(A, seq, `a${seq % 300}`);
          const since = versionVector([
            [A, sinceA],
            [B, sinceB],
          ]);
          const keys = log.keysAfter(since);
          // Every key with an operation past `since` is named (extras only cost a check).
          for (const [r, seq, k] of recorded) if (seq > since.get(r)) expect(keys.has(k)).toBe(true);
        },
      ),
    );
  });
});
