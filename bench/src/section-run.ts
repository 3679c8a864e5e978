import { loadavg } from "node:os";
import type { Workload } from "./config.ts";
import { type SourceInfo, sourceInfo } from "./source-info.ts";

/**
 * When and how one workload section was measured. A results document can hold sections from
 * different runs (`BENCH_KEEP=1` keeps the ones a partial run did not repeat), so each carries
 * its own date, source and machine load, and bench/README.md prints them.
 */
export interface SectionRun {
  /** ISO time the section started. */
  readonly date: string;
  readonly seconds: number;
  readonly source: SourceInfo;
  /** The 1-minute load average when the section started and when it ended (null: not recorded). */
  readonly load: readonly [number, number] | null;
  /** "own": the section ran in a fresh child process (the default); "shared": in one process with other sections. */
  readonly process: "own" | "shared";
  /** Why the section has no results: its process failed (exit status and the end of its stderr). */
  readonly failed?: string;
  /** What else a reader should know of this run (e.g. a date known only to be no later than this). */
  readonly note?: string;
}

/** Section runs by workload. */
export type SectionRuns = Partial<Record<Workload, SectionRun>>;

const round1 = (x: number): number => Math.round(x * 100) / 100;

/** Starts timing a section; the returned function ends it. */
export function startSection(process: SectionRun["process"]): (failed?: string) => SectionRun {
  const date = new Date().toISOString();
  const start = performance.now();
  const load0 = round1(loadavg()[0] ?? 0);
  const source = sourceInfo();
  return (failed) => ({
    date,
    seconds: Math.round((performance.now() - start) / 100) / 10,
    source,
    load: [load0, round1(loadavg()[0] ?? 0)],
    process,
    ...(failed === undefined ? {} : { failed }),
  });
}
