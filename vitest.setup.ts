import fc from "fast-check";

// Every property test in every worker draws from the seed chosen in vitest.global-setup.ts.
const seed = Number(process.env["CONVERGE_SEED"]);
const scale = Number(process.env["CONVERGE_RUNS_SCALE"] ?? "1");
fc.configureGlobal({
  seed,
  numRuns: Math.max(1, Math.round(100 * scale)),
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
