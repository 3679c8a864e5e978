import type { VerifyReport } from "./verify.ts";

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A JUnit XML document: one test case per law, failures carrying the counterexample. */
export function junitReport(report: VerifyReport): string {
  const failures = report.laws.filter((l) => !l.ok).length;
  const cases = report.laws.map((l) => {
    const head = `    <testcase classname="converge.verify.${esc(report.id)}" name="${esc(l.law)}" time="${(l.ms / 1000).toFixed(3)}">`;
    if (l.ok) return `${head}</testcase>`;
    const body = `${l.statement}\nseed ${l.seed} path ${l.path ?? ""}\n${l.counterexample ?? ""}`;
    return `${head}\n      <failure message="${esc(`${l.law} fails`)}">${esc(body)}</failure>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="converge verify ${esc(report.script)}" tests="${report.laws.length}" failures="${failures}">
${cases.join("\n")}
  </testsuite>
</testsuites>
`;
}
