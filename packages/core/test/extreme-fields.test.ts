import { describe, expect, it } from "vitest";
import { compileKeyRules } from "../src/key-rules.ts";
import { encodeSingleWrite } from "../src/payload/single-write.ts";
import { hex, replica, rules } from "./fixtures.ts";

// Valid but extreme field values, one suspicion each: every fast path must read them as the
// general path does. Each case here found a bug (its comment says which).

const compiled = compileKeyRules(rules);
const A = "00000000000000a1";
const NOW = 1_764_150_000_000;

describe("valid but extreme fields", () => {
  // Found: applyAsync decoded a single-write op into 32-bit lone columns, so a seq past 2^32
  // came out truncated (2^52 - 49 read as 2^32 - 49) or, at 2^32 exactly, as no value at all.
  it("an async single-write op keeps a seq past 32 bits (regression)", async () => {
    for (const seq of [2 ** 32, 2 ** 32 + 1, 2 ** 52 - 49]) {
      const op = encodeSingleWrite(compiled.fingerprint, "k", A, seq, NOW, 0, "v") as Uint8Array;
      const byAsync = replica("0000000000000001", { now: NOW });
      await byAsync.applyAsync(op);
      const bySync = replica("0000000000000002", { now: NOW });
      bySync.applyOp(op);
      expect(byAsync.get("k")).toBe("v");
      expect(hex(byAsync.encodeState())).toBe(hex(bySync.encodeState()));
      // A later write of A's with a seq between the truncated one and the real one loses.
      const older = encodeSingleWrite(compiled.fingerprint, "k", A, seq - 1, NOW, 1, "old") as Uint8Array;
      byAsync.applyOp(older);
      expect(byAsync.get("k")).toBe("v");
    }
  });
});
