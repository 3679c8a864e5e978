import { createReplicatedMap } from "@converge/core";
import { scriptResolver } from "@converge/script";
import { describe, expect, it } from "vitest";
import { verifyScript } from "../src/index.ts";
import { COUNTS_CALLS, failing, seed } from "./hardening-kit.ts";

describe("the fold law", () => {
  it("catches a merge that counts its calls, which every two-value law passes", async () => {
    const report = await verifyScript("counts.js", COUNTS_CALLS, { seed, runs: 100 });
    expect(failing(report)).toEqual(["fold"]);
    const fold = report.laws.find((l) => l.law === "fold");
    // The shrunk counterexample folds at least three values, in two orders with different results.
    const [values] = JSON.parse((fold?.counterexample ?? "").split("\n")[0] ?? "[]") as [number[]];
    expect(values.length).toBeGreaterThanOrEqual(3);
    expect(fold?.counterexample).toMatch(/folding \[.*\] gives \d+, folding \[.*\] gives \d+/);
    expect(report.verdict).toBe("fail");
  }, 60_000);

  it("holds for a real join folded in any order", async () => {
    const report = await verifyScript(
      "max.js",
      `export const values = { type: "integer", min: -5, max: 5 };\nexport function merge(a, b) { return Math.max(a, b); }\n`,
      { seed, runs: 100 },
    );
    expect(report.laws.find((l) => l.law === "fold")?.ok).toBe(true);
    expect(report.ok).toBe(true);
  }, 60_000);
});

describe("the batched law", () => {
  // Reads the larger number, unless its stack shows the list took the sandbox's JSON batch path
  // (its key shares a batch with a key holding a non-number): a leak of batch internals.
  const STACK_READER = `export const values = { type: "integer", min: 0, max: 9 };
export function merge(a, b) {
  return /resolveOne/.test(String(new Error().stack)) ? Math.min(a, b) : Math.max(a, b);
}
`;

  /** Whether a real map reads {1, 2, 5} differently when the key shares its batch with a string-valued key. */
  function mapLeaks(): boolean {
    const readOf = (withCompanion: boolean): unknown => {
      const resolver = scriptResolver({ source: STACK_READER });
      const make = (node: string) =>
        createReplicatedMap({ resolvers: { default: resolver }, clockOptions: { node } });
      const reader = make("00000000000000aa");
      [1, 2, 5].forEach((v, i) => {
        const w = make(`000000000000000${i + 1}`);
        w.set("k", v);
        if (withCompanion) w.set("s", ["a", "b", "c"][i]);
        reader.applyState(w.encodeState());
      });
      const relay = make("00000000000000bb");
      relay.applyState(reader.encodeState());
      return relay.get("k");
    };
    return JSON.stringify(readOf(true)) !== JSON.stringify(readOf(false));
  }

  it("fails exactly when the map's batched path reads differently (and passes every direct law)", async () => {
    const report = await verifyScript("stack.js", STACK_READER, { seed, runs: 100 });
    const leaks = mapLeaks();
    expect(failing(report)).toEqual(leaks ? ["batched"] : []);
    if (leaks) expect(report.laws.find((l) => l.law === "batched")?.counterexample).toMatch(/reads/);
  }, 60_000);
});
