import fc from "fast-check";
import { runConfig } from "./packages/core/src/testing/run-config.ts";

// Every property test in every worker draws from the seed chosen in vitest.global-setup.ts, and
// runs as often as a check of @converge/core/testing would: 100 times, scaled by
// CONVERGE_RUNS_SCALE, or 20 times as often with CONVERGE_DEEP=1 (docs/TESTING.md).
const { seed, numRuns } = runConfig({}, 100);
fc.configureGlobal({
  seed,
  numRuns,
  // A property (its shrinking included) that runs past 3 minutes per 100 runs fails, reporting the
  // counterexample shrunk so far: synchronous code blocks vitest's own timeout, and a failure whose
  // shrinking never ended once stalled a CI run with no report at all.
  interruptAfterTimeLimit: 1_800 * numRuns,
  markInterruptAsFailure: true,
  reporter: (details) => {
    if (details.failed) {
      const cause = details.errorInstance;
      const why = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
      throw new Error(
        `${fc.defaultReportMessage(details)}\nGot error: ${why}\nReplay the whole run with: CONVERGE_SEED=${seed} ./run test` +
          ` (this property alone: seed ${details.seed}, path "${details.counterexamplePath ?? ""}")`,
        { cause },
      );
    }
  },
});
