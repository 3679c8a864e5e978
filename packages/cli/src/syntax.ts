import { compileFunction } from "node:vm";
import { ConvergeError } from "@converge/hlc";

/**
 * The script does not compile. Code `VERIFY_SYNTAX`; `line` and `column` are 1-based positions in
 * the script's own file (not in the sandbox's wrapper around it).
 */
export class ScriptSyntaxError extends ConvergeError {
  override readonly code: "VERIFY_SYNTAX" = "VERIFY_SYNTAX";
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(
      "VERIFY_SYNTAX",
      `${line === undefined ? file : `${file}:${line}`}: the script does not compile: ${message}`,
    );
    this.file = file;
    this.line = line;
  }
}

// `export` before a top-level declaration is allowed in scripts, as the sandbox's loader allows it.
const EXPORT = /^(\s*)export(\s+)(?=(?:async\s+)?function\b|const\b|let\b|var\b|class\b)/;

/**
 * Compiles (never runs) `source` in the host as the sandbox treats it — the body of a strict
 * function, `export` allowed before top-level declarations — to report a syntax error with the
 * file and line. Compiled as a function body, so a source that tries to close the sandbox's
 * wrapper (`}); … (function () {`) is a syntax error here too. Line by line, so the check stays
 * linear in the size of the source.
 * @throws ScriptSyntaxError
 */
export function checkSyntax(file: string, source: string): void {
  const body = source
    .split("\n")
    .map((line) => line.replace(EXPORT, (_m, lead: string, gap: string) => `${lead}      ${gap}`))
    .join("\n");
  try {
    // "use strict" on the script's first line, so its lines keep their numbers.
    compileFunction(`"use strict"; ${body}`, [], { filename: file });
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const head = (e.stack ?? "").split("\n", 1)[0] ?? "";
    const at = head.startsWith(`${file}:`) ? Number(head.slice(file.length + 1)) : Number.NaN;
    const line = Number.isInteger(at) && at >= 1 ? at : undefined;
    throw new ScriptSyntaxError(file, line, `SyntaxError: ${e.message}`);
  }
}

// The CLI's codes join the registry of converge codes (docs/ERRORS.md).
declare module "@converge/hlc" {
  interface ConvergeErrorCodes {
    VERIFY_SYNTAX: ScriptSyntaxError;
  }
}
