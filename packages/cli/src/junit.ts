import type { VerifyReport } from "./verify-report.ts";

/**
 * Whether XML 1.0 can hold code point `c`: tab, newline, carriage return, U+0020–U+D7FF,
 * U+E000–U+FFFD and the supplementary planes — not other control characters, lone surrogates,
 * U+FFFE or U+FFFF.
 */
const xmlChar = (c: number): boolean =>
  c === 0x9 ||
  c === 0xa ||
  c === 0xd ||
  (c >= 0x20 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd) ||
  c >= 0x10000;

/** `s` with every character XML cannot hold written as `\uXXXX` text. */
function xmlChars(s: string): string {
  let out = "";
  for (const ch of s) {
    // for…of yields whole surrogate pairs, and a lone surrogate on its own.
    const c = ch.codePointAt(0) ?? 0;
    out += xmlChar(c) ? ch : `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out;
}

/** Text safe in XML content and in double-quoted attributes, whatever the message holds. */
export function xmlText(s: string): string {
  return xmlChars(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Attribute text: also newlines and tabs as character references, so they survive parsing. */
const attr = (s: string): string =>
  xmlText(s).replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");

/**
 * A JUnit XML document: one test case per law, failures carrying the counterexample and the
 * replay token; a sandbox refusal is an `<error>` on the law it stopped, laws not run are skipped.
 */
export function junitReport(report: VerifyReport): string {
  const failures = report.laws.filter((l) => !l.ok && l.sandbox === undefined).length;
  const errors = report.laws.filter((l) => l.sandbox !== undefined).length + (report.crash ? 1 : 0);
  const klass = attr(`converge.verify.${report.id}`);
  const cases = report.laws.map((l) => {
    const head = `    <testcase classname="${klass}" name="${attr(l.law)}" time="${(l.ms / 1000).toFixed(3)}">`;
    if (l.ok) return `${head}</testcase>`;
    const body = xmlText(`${l.statement}\nreplay: --replay ${l.replay ?? ""}\n${l.counterexample ?? ""}`);
    const tag = l.sandbox === undefined ? "failure" : "error";
    const message = l.sandbox === undefined ? `${l.law} fails` : `sandbox refused: ${l.sandbox.code}`;
    return `${head}\n      <${tag} message="${attr(message)}">${body}</${tag}>\n    </testcase>`;
  });
  for (const law of report.skipped) {
    cases.push(`    <testcase classname="${klass}" name="${attr(law)}" time="0.000"><skipped/></testcase>`);
  }
  if (report.crash) {
    const s = report.sandbox;
    cases.push(
      `    <testcase classname="${klass}" name="sandbox" time="0.000">\n      <error message="${attr(`sandbox refused: ${s?.code ?? ""}`)}">${xmlText(s?.message ?? "")}</error>\n    </testcase>`,
    );
  }
  const tests = cases.length;
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="${attr(`converge verify ${report.script}`)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${report.skipped.length}">
${cases.join("\n")}
  </testsuite>
</testsuites>
`;
}
