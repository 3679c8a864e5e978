import { existsSync, readFileSync } from "node:fs";
import { WORKLOADS, type Workload } from "./config.ts";
import type { ResultsDocument } from "./readme.ts";
import { NO_RESULTS, SECTION_FIELD, type SectionResults } from "./run-workloads.ts";
import type { SectionRuns } from "./section-run.ts";

function measuredIn(doc: ResultsDocument, w: Workload): boolean {
  const value = (doc as unknown as Record<string, unknown>)[SECTION_FIELD[w]];
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
}

/**
 * BENCH_KEEP=1: the sections of the document at `path` that this run does not measure, with
 * their own section runs, so a partial run updates the document without dropping the rest. A
 * document written before sections had their own runs dates each kept section with the
 * document's date, as run in one shared process.
 */
export function keptSections(
  path: string,
  measuring: readonly Workload[],
): { readonly results: SectionResults; readonly runs: SectionRuns } {
  if (!existsSync(path)) return { results: NO_RESULTS, runs: {} };
  // Our own document, written by main.ts with this shape.
  const doc = JSON.parse(readFileSync(path, "utf8")) as ResultsDocument;
  const results: Record<string, unknown> = { ...NO_RESULTS };
  const runs: SectionRuns = {};
  for (const w of WORKLOADS) {
    if (measuring.includes(w) || !measuredIn(doc, w)) continue;
    const field = SECTION_FIELD[w];
    results[field] = (doc as unknown as Record<string, unknown>)[field];
    runs[w] = doc.sections?.[w] ?? {
      date: doc.date,
      seconds: 0,
      source: doc.source,
      load: null,
      process: "shared",
    };
  }
  return { results: results as unknown as SectionResults, runs };
}
