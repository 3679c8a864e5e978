// assertLaws: checkLaws that throws LawViolationError, and the readable law report.
import { ConvergeError } from "@converge/hlc";
import { checkLaws, type LawOptions, type LawReport } from "./laws.ts";

/** Thrown by {@link assertLaws}: which laws failed, with counterexamples and replay seeds. */
export class LawViolationError extends ConvergeError {
  readonly report: LawReport;
  constructor(report: LawReport) {
    super("LAW_VIOLATION", formatLawReport(report));
    this.report = report;
  }
}

/** A readable multi-line report: one line per law, then each counterexample with its replay seed. */
export function formatLawReport(report: LawReport): string {
  const lines = [`laws of ${report.resolver} (seed ${report.seed}):`];
  for (const r of report.results) {
    lines.push(`  ${r.ok ? "✓" : "✗"} ${r.law.padEnd(13)} ${r.statement}${r.ok ? ` (${r.runs} runs)` : ""}`);
  }
  for (const r of report.results) {
    if (r.ok) continue;
    lines.push(
      "",
      `${r.law} fails — replay with { seed: ${r.seed}, path: "${r.path ?? ""}" }:`,
      ...(r.counterexample ?? "").split("\n").map((l) => `  ${l}`),
    );
  }
  return lines.join("\n");
}

/** {@link checkLaws}, throwing a {@link LawViolationError} (code `LAW_VIOLATION`) when any law fails. */
export function assertLaws<In>(options: LawOptions<In>): LawReport {
  const report = checkLaws(options);
  if (!report.ok) throw new LawViolationError(report);
  return report;
}
