// checkConvergence / assertConvergence: run random network schedules and report what they found.
import { ConvergeError } from "@converge/hlc";
import fc from "fast-check";
import { createReplicatedMap } from "../replicated-map.ts";
import { smallValues } from "./laws.ts";
import { type Cmd, commandsArb } from "./network-commands.ts";
import type { ConvergenceReport, NetworkOptions } from "./network-options.ts";
import { Violation } from "./oracle.ts";
import { runConfig } from "./run-config.ts";
import { Network } from "./simulated-network.ts";
import { builtinSpecs } from "./specs.ts";
import { workerMerger } from "./worker-merge.ts";

export type { ConvergenceReport, NetworkOptions } from "./network-options.ts";

/**
 * Checks that replicas converge — and, at every step, read what the specification says — over
 * random network schedules (see the command list in the docs). Never throws for a failure: the
 * report carries the shrunk schedule, the seed and the path that replay it.
 *
 * @example
 * const report = await checkConvergence({ rules: { default: lww() }, keys: ["a", "b"] });
 * expect(report.counterexample).toBeUndefined();
 */
export async function checkConvergence(options: NetworkOptions): Promise<ConvergenceReport> {
  const { seed, numRuns } = runConfig(options, 100);
  const min = Math.max(2, options.replicas?.min ?? 2);
  const max = Math.min(7, Math.max(min, options.replicas?.max ?? 5));
  const values = options.values ?? smallValues;
  const amounts = options.amounts ?? fc.integer({ min: -3, max: 5 }).filter((x) => x !== 0);
  const specs = { ...builtinSpecs, ...options.specs };
  const log = options.log ?? console.log;
  log(`[converge/testing] network schedules: seed ${seed}, ${numRuns} runs, ${min}-${max} replicas`);
  const merger = options.workers === undefined ? undefined : await workerMerger(options.workers);
  try {
    // Check the specification after every command by wrapping each command's run.
    const details = await fc.check(
      fc.asyncProperty(
        fc
          .integer({ min, max })
          .chain((n) => fc.tuple(fc.constant(n), commandsArb(n, options, values, amounts, merger))),
        async ([n, cmds]) => {
          const net = new Network(n, options.rules, specs, options.keys);
          const rebuild = () =>
            createReplicatedMap({
              resolvers: options.rules,
              clockOptions: {
                node: "00000000000000ff",
                now: () => net.now,
                maxDrift: Number.POSITIVE_INFINITY,
              },
            });
          await fc.asyncModelRun(() => ({ model: {}, real: net }), cmds);
          await net.quiesce(rebuild);
        },
      ),
      { seed, numRuns, ...(options.path === undefined ? {} : { path: options.path }) },
    );
    if (!details.failed) return { ok: true, seed, runs: details.numRuns };
    const [n, cmds]: [number, Iterable<Cmd>] = details.counterexample?.[0] ?? [0, []];
    const err = details.errorInstance;
    const why =
      err instanceof Error
        ? err instanceof Violation
          ? err.message
          : (err.stack ?? err.message)
        : String(err);
    return {
      ok: false,
      seed: details.seed,
      runs: details.numRuns,
      path: details.counterexamplePath ?? "",
      counterexample: `${n} replicas; schedule: ${[...cmds].map(String).join("; ")}\n${why}`,
    };
  } finally {
    await merger?.close();
  }
}

/** Thrown by {@link assertConvergence} (code `CONVERGENCE_VIOLATION`). */
export class ConvergenceError extends ConvergeError {
  readonly report: ConvergenceReport;
  constructor(report: ConvergenceReport) {
    super(
      "CONVERGENCE_VIOLATION",
      `replicas diverged or broke the specification (seed ${report.seed}, path "${report.path ?? ""}"; replay with { seed: ${report.seed} } or CONVERGE_SEED=${report.seed}):\n${report.counterexample ?? ""}`,
    );
    this.report = report;
  }
}

/** {@link checkConvergence}, throwing a {@link ConvergenceError} when it fails. */
export async function assertConvergence(options: NetworkOptions): Promise<ConvergenceReport> {
  const report = await checkConvergence(options);
  if (!report.ok) throw new ConvergenceError(report);
  return report;
}
