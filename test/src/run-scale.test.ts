import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * CONVERGE_RUNS_SCALE and CONVERGE_DEEP mean one thing everywhere (docs/TESTING.md): the checks of
 * @converge/core/testing and every fast-check property of this suite (vitest.setup.ts) run
 * 100 × the scale times, and CONVERGE_DEEP=1 sets the scale to 20 in place of CONVERGE_RUNS_SCALE.
 */
const saved = { deep: process.env["CONVERGE_DEEP"], scale: process.env["CONVERGE_RUNS_SCALE"] };
function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe("run scale", () => {
  afterEach(() => {
    setEnv("CONVERGE_DEEP", saved.deep);
    setEnv("CONVERGE_RUNS_SCALE", saved.scale);
  });

  it("the suite's properties run as many times as a harness check in this environment", () => {
    expect(fc.readConfigureGlobal().numRuns).toBe(runConfig({}, 100).numRuns);
  });

  it("vitest.setup.ts gives every property 2,000 runs under CONVERGE_DEEP=1", async () => {
    const before = fc.readConfigureGlobal();
    try {
      setEnv("CONVERGE_RUNS_SCALE", "2");
      setEnv("CONVERGE_DEEP", "1");
      vi.resetModules();
      await import("../../vitest.setup.ts");
      expect(fc.readConfigureGlobal().numRuns).toBe(2000);
      expect(fc.readConfigureGlobal().seed).toBe(Number(process.env["CONVERGE_SEED"]));
    } finally {
      fc.configureGlobal(before);
    }
  });

  it("CONVERGE_DEEP=1 runs 20 times as often, whatever CONVERGE_RUNS_SCALE says", () => {
    setEnv("CONVERGE_RUNS_SCALE", undefined);
    setEnv("CONVERGE_DEEP", undefined);
    expect(runConfig({}, 100).numRuns).toBe(100);
    setEnv("CONVERGE_RUNS_SCALE", "3");
    expect(runConfig({}, 100).numRuns).toBe(300);
    setEnv("CONVERGE_DEEP", "1");
    expect(runConfig({}, 100).numRuns).toBe(2000);
    setEnv("CONVERGE_RUNS_SCALE", undefined);
    expect(runConfig({}, 100).numRuns).toBe(2000);
    setEnv("CONVERGE_DEEP", "0");
    expect(runConfig({}, 100).numRuns).toBe(100);
  });

  it("an explicit numRuns wins over the environment", () => {
    setEnv("CONVERGE_DEEP", "1");
    expect(runConfig({ numRuns: 7 }, 100).numRuns).toBe(7);
  });
});
