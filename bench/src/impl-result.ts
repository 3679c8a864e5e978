import type { Timing } from "./measure.ts";

/** One implementation's result in a workload: timed, or skipped with the reason. */
export interface ImplResult {
  readonly impl: string;
  readonly status: "ok" | "skipped";
  /** Why it was skipped, or a remark about what was measured. */
  readonly note: string;
  readonly medianMs: number | null;
  readonly samplesMs: readonly number[];
  /** Unrecorded warm-up runs, first (cold) run first; empty without warm-up. */
  readonly warmupMs: readonly number[];
  /** Size of the payload that was decoded, when there is one. */
  readonly payloadBytes: number | null;
}

/** A timed result. */
export function timedResult(
  impl: string,
  timing: Timing,
  payloadBytes: number | null,
  note = "",
): ImplResult {
  return {
    impl,
    status: "ok",
    note,
    medianMs: timing.medianMs,
    samplesMs: timing.samplesMs,
    warmupMs: timing.warmupMs,
    payloadBytes,
  };
}

/** A skipped result. */
export function skippedResult(impl: string, note: string): ImplResult {
  return { impl, status: "skipped", note, medianMs: null, samplesMs: [], warmupMs: [], payloadBytes: null };
}
