import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { replicaInterner } from "../src/replica-interner.ts";
import { bytes8ToHex } from "../src/version-vector.ts";

const hexOf = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

describe("replicaInterner", () => {
  it("reads every id as its hex wherever it sits, ids sharing their first bytes told apart", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 40 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (ids, high) => {
          // Half the ids share their first four bytes, so the same-high lists are walked.
          const all = ids.map((b, i) => (i % 2 === 0 ? Uint8Array.of(...high, ...b.subarray(4)) : b));
          const intern = replicaInterner();
          for (const b of [...all, ...all]) {
            // At an offset inside a larger buffer, as in a payload.
            const buf = new Uint8Array(11);
            buf.set(b, 3);
            const id = intern(buf, 3);
            expect(id).toBe(hexOf(b));
            expect(bytes8ToHex(b)).toBe(hexOf(b));
          }
        },
      ),
    );
  });
});
