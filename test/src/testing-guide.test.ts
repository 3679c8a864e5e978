// The example of docs/TESTING.md (same code): the guide must keep working.
import { registerResolver } from "@converge/core";
import { assertConvergence, assertLaws, registerSpec } from "@converge/core/testing";
import { lww, pncounter } from "@converge/resolvers";
import fc from "fast-check";
import { it } from "vitest";

// Your rule: concurrent prices resolve to the lowest.
const lowestPrice = registerResolver<number, number>({
  id: "lowest-price",
  version: 1,
  resolve: (values) => Math.min(...values.map((v) => v.value)),
});

it("lowest-price obeys the merge laws", () => {
  // Throws LawViolationError with the shrunk counterexample and { seed, path } when a law fails.
  assertLaws({ resolver: lowestPrice, values: fc.integer({ min: 1, max: 500 }) });
});

it("my shop's rules converge and read what the spec says", async () => {
  await assertConvergence({
    rules: { default: lww(), keys: { "price:*": lowestPrice, "stock:*": pncounter() } },
    keys: ["title", "price:apple", "stock:apple"],
    values: fc.integer({ min: 1, max: 500 }),
    // What a price key must read, given the writes a replica has seen (live = not overwritten or deleted).
    specs: { "lowest-price": registerSpec((live) => Math.min(...live.map((w) => w.value as number))) },
  });
}, 60_000);
