// NetworkOptions and ConvergenceReport: what checkConvergence takes and what it reports.
import type fc from "fast-check";
import type { KeyRulesConfig } from "../key-rules.ts";
import type { Value } from "../value.ts";
import type { RunOptions } from "./run-config.ts";
import type { Spec } from "./specs.ts";

/** Options of {@link checkConvergence}. */
export interface NetworkOptions extends RunOptions {
  /** The map's key rules, as given to `createReplicatedMap`. */
  readonly rules: KeyRulesConfig;
  /** Keys the replicas operate on (pick some for each key rule). */
  readonly keys: readonly string[];
  /** Values to write; default small JSON values. */
  readonly values?: fc.Arbitrary<Value>;
  /** Amounts to add; default -3..5 without 0. */
  readonly amounts?: fc.Arbitrary<number>;
  /** Replicas per schedule; default 2 to 5, at most 7. */
  readonly replicas?: { readonly min?: number; readonly max?: number };
  /** Longest schedule, in commands; default 40. */
  readonly maxCommands?: number;
  /** Specifications by resolver id; the built-ins' are included. A resolver without one is only checked for convergence. */
  readonly specs?: Readonly<Record<string, Spec>>;
  /**
   * Also merge in `worker_threads` (Node only): a module exporting the same key rules, loaded in
   * each worker. Worker merges are skipped when absent.
   */
  readonly workers?: { readonly module: string | URL; readonly exportName: string };
  /** Replays one counterexample (with `seed`), as printed in a failure. */
  readonly path?: string;
}

/** What {@link checkConvergence} found. */
export interface ConvergenceReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly path?: string;
  /** The shrunk schedule and what went wrong. */
  readonly counterexample?: string;
}
