import { ALL_LAWS, assertLaws, runConfig } from "@converge/core/testing";
import { describe, it } from "vitest";
import { yjsRichText, yjsText } from "../src/index.ts";
import { textInputs } from "./edits.ts";

// 1,000 runs per law (scaled by CONVERGE_RUNS_SCALE like every property test).
const { numRuns } = runConfig({}, 1000);

describe.each([
  ["yjsText", yjsText],
  ["yjsRichText", yjsRichText],
])("%s obeys the law kit", (_name, make) => {
  it("state laws: commutative, associative, idempotent, inflation, round trip, deterministic, paths", () => {
    assertLaws({ resolver: () => make(), values: textInputs, numRuns, laws: ALL_LAWS });
  }, 600_000);

  // Only `batched`: `fold` expects a read independent of who wrote which value, and Yjs orders
  // concurrent inserts at one position by their authors' client ids, as lww orders by clock.
  it("read law: replicas that got the same concurrent edits in any order and batch read alike", () => {
    assertLaws({ resolver: () => make(), values: textInputs, numRuns, laws: ["batched"] });
  }, 600_000);
});
