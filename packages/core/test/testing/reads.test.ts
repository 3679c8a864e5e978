import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Concurrent, registerResolver } from "../../src/index.ts";
import { assertLaws, checkLaws, LawViolationError, READ_LAWS } from "../../src/testing/index.ts";

const seed = Number(process.env["CONVERGE_SEED"] ?? 11);
const quiet = { log: () => {}, seed, numRuns: 200 };
const ints = fc.integer({ min: 0, max: 9 });
const values = (list: readonly Concurrent<number>[]): number[] => list.map((c) => c.value);

const max = registerResolver<number, number>({
  id: "test-max",
  version: 1,
  resolve: (list) => Math.max(...values(list)),
});
const newest = registerResolver<number, number>({
  id: "test-newest",
  version: 1,
  resolve: (list) => (list[0] as Concurrent<number>).value,
});
// The merge that counts its calls: the first fold step is a max, every later one keeps the left side.
const countsCalls = (): ReturnType<typeof registerResolver<number, number>> =>
  registerResolver<number, number>({
    id: "test-counts-calls",
    version: 1,
    resolve: (list) => {
      const merge = (a: number, b: number, calls: number): number => (calls > 1 ? a : Math.max(a, b));
      let r = (list[0] as Concurrent<number>).value;
      for (let i = 1; i < list.length; i++) r = merge(r, (list[i] as Concurrent<number>).value, i);
      return r;
    },
  });
// Reads one way alone and another in a batch (a script that can tell the batch path from its stack).
const batchAware = registerResolver<number, number>({
  id: "test-batch-aware",
  version: 1,
  resolve: (list) => Math.max(...values(list)),
  resolveMany: (lists) => lists.map((list) => Math.min(...values(list))),
});
// State kept across reads (a counter on an unfrozen intrinsic): the n-th read of an instance differs.
const keepsState = (): ReturnType<typeof registerResolver<number, number>> => {
  let reads = 0;
  return registerResolver<number, number>({
    id: "test-keeps-state",
    version: 1,
    resolve: (list) => Math.max(...values(list)) + (reads++ % 2),
  });
};

describe("the read laws (fold, batched)", () => {
  it("are not in the default law set, and READ_LAWS lists them", () => {
    expect(READ_LAWS).toEqual(["fold", "batched"]);
    const report = checkLaws({ resolver: max, values: ints, ...quiet, numRuns: 5 });
    expect(report.results.map((r) => r.law)).not.toContain("fold");
  });

  it("hold for a max register", () => {
    const report = assertLaws({ resolver: max, values: ints, laws: READ_LAWS, ...quiet });
    expect(report.results.map((r) => [r.law, r.ok])).toEqual([
      ["fold", true],
      ["batched", true],
    ]);
  }, 30_000);

  it("fold fails for a newest-wins register, batched holds", () => {
    const report = checkLaws({ resolver: newest, values: ints, laws: READ_LAWS, ...quiet });
    expect(report.results.map((r) => [r.law, r.ok])).toEqual([
      ["fold", false],
      ["batched", true],
    ]);
  }, 30_000);

  it("fold catches a merge that counts its calls, with a counterexample of 3+ values", () => {
    const report = checkLaws({ resolver: countsCalls, values: ints, laws: ["fold"], ...quiet });
    const fold = report.results[0];
    expect(fold?.ok).toBe(false);
    const shown = /concurrent values (\[[^\]]*\])/.exec(fold?.counterexample ?? "")?.[1] ?? "[]";
    expect((JSON.parse(shown) as number[]).length).toBeGreaterThanOrEqual(3);
    // The two-value laws do not see it.
    const pairs = checkLaws({ resolver: countsCalls, values: ints, laws: ["commutative"], ...quiet });
    expect(pairs.ok).toBe(true);
  }, 30_000);

  it("batched catches a read that differs in the map's batch, and state kept across reads", () => {
    for (const resolver of [() => batchAware, keepsState]) {
      const report = checkLaws({ resolver, values: ints, laws: ["batched"], ...quiet });
      expect(report.results[0]?.ok).toBe(false);
      expect(report.results[0]?.counterexample).toMatch(/outside a map the key reads/);
    }
  }, 30_000);

  it("assertLaws throws LAW_VIOLATION naming the read law, and the seed and path replay it", () => {
    let caught: unknown;
    try {
      assertLaws({ resolver: countsCalls, values: ints, laws: ["fold"], ...quiet });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LawViolationError);
    const failed = (caught as LawViolationError).report.results[0];
    expect((caught as Error).message).toMatch(/fold fails/);
    const again = checkLaws({
      resolver: countsCalls,
      values: ints,
      laws: ["fold"],
      log: () => {},
      seed: failed?.seed as number,
      path: failed?.path as string,
    });
    expect(again.results[0]?.counterexample).toBe(failed?.counterexample);
  }, 30_000);
});
