/**
 * @converge/core/testing — the convergence harness converge tests itself with, for your resolvers
 * and your apps.
 *
 * - {@link checkLaws} / {@link assertLaws}: a resolver's merge is commutative, associative and
 *   idempotent; operations only inflate; encoding round-trips; results are deterministic; full
 *   state, deltas and ops agree.
 * - the read laws ({@link READ_LAWS}, asked for through `laws`): 3–8 concurrent values read the
 *   same whatever order they were written in (`fold`), and through the map's batched read path on
 *   replicas with different delivery histories as outside a map (`batched`).
 * - {@link checkConvergence} / {@link assertConvergence}: a network simulator (fast-check
 *   commands) over 2–7 replicas with drops, duplicates, reordering, partitions, restarts, chunked
 *   and worker-thread merges, checking every replica against a declarative specification at every
 *   step and byte-identical convergence at quiescence.
 * - {@link sealPayload} / {@link unsealPayload}: take a payload's length field and checksum off
 *   and put them back, so that a fuzzer's edits reach the decoder's structural checks.
 *
 * Every check prints its seed; a failure carries the shrunk counterexample and `{ seed, path }`
 * to replay it. `CONVERGE_SEED` fixes the seed, `CONVERGE_RUNS_SCALE` scales the number of runs,
 * `CONVERGE_DEEP=1` runs 20× more. Requires fast-check (a peer dependency); worker merges need Node.
 *
 * @packageDocumentation
 */

export { sealPayload, unsealPayload } from "../payload/header.ts";
export { assertLaws, formatLawReport, LawViolationError } from "./assert-laws.ts";
export {
  ALL_LAWS,
  checkLaws,
  type LawName,
  type LawOptions,
  type LawReport,
  type LawResult,
  READ_LAWS,
  type ReadLawName,
  smallValues,
} from "./laws.ts";
export {
  assertConvergence,
  ConvergenceError,
  type ConvergenceReport,
  checkConvergence,
  type NetworkOptions,
} from "./network.ts";
export { type RunConfig, type RunOptions, runConfig } from "./run-config.ts";
export {
  builtinSpecs,
  counterSpec,
  type Expected,
  registerSpec,
  type Spec,
  type SpecOp,
  unobserved,
} from "./specs.ts";
