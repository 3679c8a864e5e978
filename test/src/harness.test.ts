import type { AnyResolver } from "@converge/core";
import { assertConvergence, assertLaws, type LawReport } from "@converge/core/testing";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "@converge/resolvers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rules } from "./rules.ts";

/**
 * The convergence harness over every built-in resolver: its laws, then at least 1,000 network
 * schedules each (scaled by CONVERGE_RUNS_SCALE; CONVERGE_DEEP=1 for long runs), checked against
 * the specification at every step and for byte-identical convergence at quiescence.
 */
const SCHEDULES = 1000;
const values = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("a", "b"));
const builtins: [string, AnyResolver, () => LawReport][] = [
  ["lww", lww(), () => assertLaws({ resolver: lww(), values })],
  ["multiValue", multiValue(), () => assertLaws({ resolver: multiValue(), values })],
  ["maxRegister", maxRegister(), () => assertLaws({ resolver: maxRegister(), values })],
  ["minRegister", minRegister(), () => assertLaws({ resolver: minRegister(), values })],
  ["gcounter", gcounter(), () => assertLaws({ resolver: gcounter() })],
  ["pncounter", pncounter(), () => assertLaws({ resolver: pncounter() })],
];

const scale = (runs: number): number => {
  const env = process.env;
  const factor = env["CONVERGE_DEEP"] === "1" ? 20 : Number(env["CONVERGE_RUNS_SCALE"] ?? "1");
  return Math.max(1, Math.round(runs * factor));
};

describe.each(builtins)("%s", (_name, resolver) => {
  it("satisfies every law", () => {
    const report = assertLaws({
      resolver,
      values: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("a", "b")),
    });
    expect(report.results.every((r) => r.ok && r.runs > 0)).toBe(true);
  });

  it(`converges and meets its specification over ${SCHEDULES}+ network schedules`, async () => {
    const numRuns = scale(SCHEDULES);
    const report = await assertConvergence({
      rules: { default: resolver },
      keys: ["a", "b"],
      numRuns,
    });
    expect(report.runs).toBe(numRuns);
  }, 120_000);
});

describe("mixed maps: a resolver per key pattern", () => {
  it("converge over network schedules with worker-thread merges, deletes and restarts", async () => {
    const numRuns = scale(SCHEDULES);
    const report = await assertConvergence({
      rules,
      keys: ["plain", "mv:tags", "max:m", "min:n", "g:likes", "pn:stock"],
      replicas: { min: 2, max: 7 },
      workers: { module: new URL("./rules.ts", import.meta.url), exportName: "rules" },
      numRuns,
    });
    expect(report.runs).toBe(numRuns);
  }, 120_000);
});
