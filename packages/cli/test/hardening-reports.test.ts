import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, junitReport, parseReplay, type VerifyReport } from "../src/index.ts";
import { COUNTS_CALLS, dir, run, script, seed } from "./hardening-kit.ts";

/** A small well-formedness check of XML 1.0: characters, references, and balanced tags. */
function wellFormed(xml: string): void {
  for (const ch of xml) {
    const c = ch.codePointAt(0) ?? 0;
    const ok =
      c === 9 ||
      c === 10 ||
      c === 13 ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000;
    if (!ok) throw new Error(`character U+${c.toString(16)} is not allowed in XML`);
  }
  const body = xml.replace(/^<\?xml [^?]*\?>/, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf("<", i);
    const text = body.slice(i, lt === -1 ? body.length : lt);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bare & in ${text}`);
    if (text.includes(">")) throw new Error(`bare > in text ${text}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (m === null) throw new Error(`malformed tag at ${body.slice(lt, lt + 60)}`);
    const [, close, name, attrs, selfClosing] = m;
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(attrs ?? ""))
      throw new Error("bare & in attribute");
    if (close === "/") {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else if (selfClosing !== "/") stack.push(name as string);
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join(", ")}`);
}

describe("reports", () => {
  it("--junit creates its folder and writes well-formed XML whatever the messages hold", () => {
    const nasty = String.raw`\u0000\u0001<b>&amp;]]>\"'\ud800\u2063converge-non-json\u2063\uffff`;
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { if (a !== b) throw new Error("${nasty}"); return a; }\n`,
    );
    const junit = join(dir, "new", "nested", "verify.xml");
    const r = run("verify", file, "--runs", "20", "--seed", String(seed), "--junit", junit);
    expect(r.status).toBe(EXIT.lawsFail);
    expect(existsSync(junit)).toBe(true);
    const xml = readFileSync(junit, "utf8");
    wellFormed(xml);
    expect(xml).toMatch(/<failure message="[^"]*">[^<]*&lt;b&gt;&amp;amp;\]\]&gt;/);
    expect(xml).toMatch(/\\u0000/);
  }, 60_000);

  it("junitReport escapes every field, including the script name and law names", () => {
    const report: VerifyReport = {
      script: 'a"<&\u0007.js',
      id: "script:0",
      seed: 1,
      engine: { name: "isolated-vm" },
      verdict: "fail",
      ok: false,
      laws: [
        {
          law: "fold",
          statement: "x < y",
          ok: false,
          runs: 1,
          seed: 1,
          counterexample: "\u001b[31m\udfff",
          ms: 1,
        },
      ],
      skipped: [],
      warnings: [],
    };
    expect(() => wellFormed(junitReport(report))).not.toThrow();
  });

  it("no internal marker reaches any message", () => {
    const file = script(
      `export const values = { type: "integer", min: 0, max: 3 };\nexport function merge(a, b) { return Date.now() > 0 ? a : b; }\n`,
    );
    for (const format of [[], ["--json"]]) {
      const r = run("verify", file, "--runs", "10", "--seed", String(seed), ...format);
      expect(r.status).toBe(EXIT.lawsFail);
      expect(r.stdout).toMatch(/Date/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\u2063|converge-nondeterminism/);
    }
  }, 60_000);

  it("a failure prints a --replay token that replays exactly its counterexample", () => {
    const file = script(COUNTS_CALLS);
    const first = run("verify", file, "--runs", "100", "--seed", String(seed));
    expect(first.status).toBe(EXIT.lawsFail);
    const line = /replay: (converge verify \S+ --replay (\S+))/.exec(first.stdout);
    expect(line?.[1]).toBe(`converge verify ${file} --replay ${line?.[2]}`);
    const token = parseReplay(line?.[2] ?? "");
    expect(token?.law).toBe("fold");
    const again = run("verify", file, "--replay", line?.[2] ?? "", "--json");
    expect(again.status).toBe(EXIT.lawsFail);
    const report = JSON.parse(again.stdout) as VerifyReport;
    expect(report.laws.map((l) => l.law)).toEqual(["fold"]);
    const before = /✗ fold: counterexample\n {4}(.*)\n {4}(.*)/.exec(first.stdout);
    expect(report.laws[0]?.counterexample).toBe(`${before?.[1]}\n${before?.[2]}`);
    expect(run("verify", file, "--replay", "not a token").status).toBe(EXIT.usage);
    expect(run("verify", file, "--replay", "order-insensitive:1:0").status).toBe(EXIT.usage);
  }, 60_000);
});
