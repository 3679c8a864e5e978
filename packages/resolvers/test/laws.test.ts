import type { AnyResolver } from "@converge/core";
import { assertConvergence, assertLaws, type LawName } from "@converge/core/testing";
import { describe, expect, it } from "vitest";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "../src/index.ts";
import { allResolvers, MIXED_KEYS, smallValue } from "./harness.ts";

/**
 * Laws of every built-in resolver, checked with core's law kit and its network simulator (the one
 * simulator of the workspace): histories of local operations interleaved with merges over every
 * path, on real maps, seeded from the run's seed.
 */
const builtins: readonly [name: string, make: () => AnyResolver][] = [
  ["lww", () => lww()],
  ["multiValue", () => multiValue()],
  ["maxRegister", () => maxRegister()],
  ["minRegister", () => minRegister()],
  ["gcounter", () => gcounter()],
  ["pncounter", () => pncounter()],
];

/** Checks `laws` on every built-in; every law held, each over some runs. */
function holdsForEvery(laws: readonly LawName[]): void {
  for (const [name, make] of builtins) {
    const report = assertLaws({ resolver: make, values: smallValue, laws, log: () => {} });
    expect(
      report.results.map((r) => r.law),
      name,
    ).toEqual(laws);
    expect(
      report.results.every((r) => r.ok && r.runs > 0),
      name,
    ).toBe(true);
  }
}

describe("resolver laws on maps using every built-in", () => {
  it("merge is commutative, associative and idempotent (byte-identical states)", () => {
    holdsForEvery(["commutative", "associative", "idempotent"]);
  }, 120_000);

  it("op path, delta path and full-state path reach the same bytes", () => {
    holdsForEvery(["paths", "roundTrip"]);
  }, 120_000);

  it("a local operation only inflates: merging the state before it changes nothing", () => {
    holdsForEvery(["inflation", "deterministic"]);
  }, 120_000);

  it("all replicas converge after a final exchange, in any order", async () => {
    // One map holds a key of every resolver; each replica is checked against the specification of
    // what it has seen after every command, and all end byte-identical after a full exchange.
    const report = await assertConvergence({ rules: allResolvers, keys: MIXED_KEYS, values: smallValue });
    expect(report.ok).toBe(true);
    expect(report.runs).toBeGreaterThan(0);
  }, 120_000);
});
