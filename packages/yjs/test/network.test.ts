import { assertConvergence, runConfig } from "@converge/core/testing";
import { lww, pncounter } from "@converge/resolvers";
import { describe, it } from "vitest";
import { yjsRichText, yjsText } from "../src/index.ts";
import { networkEdits } from "./edits.ts";

const rules = {
  default: lww(),
  keys: { "desc:*": yjsText(), "note:*": yjsRichText(), "stock:*": pncounter() },
};
const keys = ["desc:a", "desc:b", "note:a", "stock:a", "title"];
const { numRuns } = runConfig({}, 100);

/**
 * Convergence only: the simulator's specifications assume an op payload carries its key's whole
 * state, where a text op carries just its own Yjs update (an op that arrives before one it builds
 * on shows once that one arrives). What text keys read is checked against Yjs itself in
 * oracle.test.ts.
 */
describe("text keys in the network simulator", () => {
  it("random character edits, deletes and compactions converge to byte-identical replicas", async () => {
    await assertConvergence({ rules, keys, values: networkEdits, numRuns });
  }, 600_000);
});
