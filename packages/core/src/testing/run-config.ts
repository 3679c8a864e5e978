/** How many runs and which seed a check uses. */
export interface RunConfig {
  readonly seed: number;
  readonly numRuns: number;
}

/** Options every check accepts. */
export interface RunOptions {
  /** Seed of the run; default `CONVERGE_SEED` from the environment, else random. Printed either way. */
  readonly seed?: number;
  /** Runs per property; default scaled by `CONVERGE_RUNS_SCALE` (or ×20 with `CONVERGE_DEEP=1`). */
  readonly numRuns?: number;
  /** Where progress lines go; default `console.log`. Pass `() => {}` to silence. */
  readonly log?: (line: string) => void;
}

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

/**
 * Resolves seed and run count: explicit options first, then the environment (`CONVERGE_SEED`,
 * `CONVERGE_RUNS_SCALE`, `CONVERGE_DEEP`), then defaults.
 */
export function runConfig(options: RunOptions, defaultRuns: number): RunConfig {
  const fromEnv = env("CONVERGE_SEED");
  const seed =
    options.seed ??
    (fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31));
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
  const scale = env("CONVERGE_DEEP") === "1" ? 20 : Number(env("CONVERGE_RUNS_SCALE") ?? "1");
  const numRuns =
    options.numRuns ?? Math.max(1, Math.round(defaultRuns * (Number.isFinite(scale) ? scale : 1)));
  return { seed, numRuns };
}
