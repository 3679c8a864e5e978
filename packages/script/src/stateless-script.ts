/**
 * `statelessScript`: whether a script's instance provably carries nothing from one resolution
 * to the next, so one instance may serve every resolution of a context.
 */

/** A token of the conservative scan: identifier, number, string, template piece, regex, punctuator. */
interface Token {
  readonly kind: "id" | "num" | "str" | "tpl" | "re" | "p";
  readonly text: string;
}

/** Keywords after which a `/` starts a regular expression. */
const REGEX_AFTER = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
]);

/** Identifiers after which `/` could be either (contextual keywords): the scan gives up. */
const SLASH_AMBIGUOUS = new Set(["of", "yield", "await", "let", "async", "get", "set", "static"]);

/** Identifiers a stateless script never names: a direct `eval` can assign the script's own bindings. */
const NEVER = new Set(["eval", "with", "import", "export", "arguments"]);

/** Longest punctuators first. */
const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
];
const SINGLE = "{}()[];,<>+-*%&|^!~?:=.@#";

const isIdStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
const isIdPart = (c: number): boolean => isIdStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** JavaScript's line terminators: LF, CR, LS, PS. */
const isLineEnd = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/**
 * Splits `src` into tokens, or undefined wherever the scan could read the text differently from
 * a JavaScript engine: a backslash or a non-ASCII character outside literals and comments, an
 * unterminated literal, HTML-like comments, or a `/` whose meaning depends on the grammar.
 */
function tokenize(src: string): Token[] | undefined {
  if (src.includes("<!--") || src.includes("-->")) return undefined;
  const out: Token[] = [];
  // Open braces: "{" for a block or object, "${" for a template substitution.
  const braces: string[] = [];
  const n = src.length;
  let i = 0;
  // Reads a template's text from `i` (just past "`" or a substitution's "}") to its end or next "${".
  const templatePiece = (): boolean => {
    for (;;) {
      if (i >= n) return false;
      const c = src.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 96) {
        i++;
        out.push({ kind: "tpl", text: "`" });
        return true;
      } else if (c === 36 && src.charCodeAt(i + 1) === 123) {
        i += 2;
        out.push({ kind: "tpl", text: "`" }, { kind: "p", text: "${" });
        braces.push("${");
        return true;
      } else i++;
    }
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) {
      i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      while (i < n && !isLineEnd(src.charCodeAt(i))) i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) return undefined;
      i = end + 2;
      continue;
    }
    if (c > 126 || c < 32 || c === 92) return undefined;
    if (isIdStart(c)) {
      const s = i;
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 92) return undefined;
      out.push({ kind: "id", text: src.slice(s, i) });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      const s = i;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (isIdPart(d) || d === 46) i++;
        else if ((d === 43 || d === 45) && /^[0-9.]+[eE]$/.test(src.slice(s, i))) i++;
        else break;
      }
      out.push({ kind: "num", text: src.slice(s, i) });
      continue;
    }
    if (c === 34 || c === 39) {
      const s = i++;
      for (;;) {
        if (i >= n) return undefined;
        const d = src.charCodeAt(i);
        if (d === c) break;
        if (d === 10 || d === 13) return undefined;
        i += d === 92 ? 2 : 1;
      }
      i++;
      out.push({ kind: "str", text: src.slice(s, i) });
      continue;
    }
    if (c === 96) {
      i++;
      if (!templatePiece()) return undefined;
      continue;
    }
    if (c === 47) {
      const prev = out[out.length - 1];
      let regex: boolean;
      if (prev === undefined) regex = true;
      else if (prev.kind === "num" || prev.kind === "str" || prev.kind === "re" || prev.kind === "tpl")
        regex = false;
      else if (prev.kind === "id") {
        const before = out[out.length - 2];
        const property =
          before?.kind === "p" && (before.text === "." || before.text === "?." || before.text === "#");
        // A keyword's name after "." is a property (`x.return / 2` divides): never guessed.
        if (SLASH_AMBIGUOUS.has(prev.text) || (property && REGEX_AFTER.has(prev.text))) return undefined;
        regex = REGEX_AFTER.has(prev.text);
      } else if (prev.text === ")" || prev.text === "}" || prev.text === "++" || prev.text === "--")
        return undefined;
      else regex = prev.text !== "]";
      if (!regex) {
        const two = src.charCodeAt(i + 1) === 61;
        out.push({ kind: "p", text: two ? "/=" : "/" });
        i += two ? 2 : 1;
        continue;
      }
      const s = i++;
      let inClass = false;
      for (;;) {
        if (i >= n) return undefined;
        const d = src.charCodeAt(i);
        if (isLineEnd(d)) return undefined;
        if (d === 92) {
          if (i + 1 >= n || isLineEnd(src.charCodeAt(i + 1))) return undefined;
          i += 2;
          continue;
        }
        i++;
        if (d === 91) inClass = true;
        else if (d === 93) inClass = false;
        else if (d === 47 && !inClass) break;
      }
      while (i < n && isIdPart(src.charCodeAt(i))) i++;
      out.push({ kind: "re", text: src.slice(s, i) });
      continue;
    }
    if (c === 123) {
      braces.push("{");
      out.push({ kind: "p", text: "{" });
      i++;
      continue;
    }
    if (c === 125) {
      const open = braces.pop();
      if (open === undefined) return undefined;
      out.push({ kind: "p", text: "}" });
      i++;
      if (open === "${" && !templatePiece()) return undefined;
      continue;
    }
    if (c === 63 && src.charCodeAt(i + 1) === 46 && !isDigit(src.charCodeAt(i + 2))) {
      out.push({ kind: "p", text: "?." });
      i += 2;
      continue;
    }
    const p = PUNCTUATORS.find((q) => src.startsWith(q, i));
    if (p !== undefined) {
      out.push({ kind: "p", text: p });
      i += p.length;
      continue;
    }
    if (!SINGLE.includes(src[i] as string)) return undefined;
    out.push({ kind: "p", text: src[i] as string });
    i++;
  }
  return braces.length === 0 ? out : undefined;
}

/** Index just past the bracket that closes the one at `at` (`(`, `[`, `{` or `${`), or -1. */
function closing(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let k = at; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.kind !== "p") continue;
    if (t.text === "(" || t.text === "[" || t.text === "{" || t.text === "${") depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  return -1;
}

const isLiteral = (t: Token | undefined): boolean =>
  t !== undefined &&
  (t.kind === "num" ||
    t.kind === "str" ||
    (t.kind === "id" && (t.text === "true" || t.text === "false" || t.text === "null")));

/**
 * Whether one instance of the script (its body run once) can serve every resolution without
 * anything carrying over from one to the next. Conservative — `false` whenever in doubt, and the
 * engines then build a fresh instance per resolution as before. `true` only when:
 *
 * - the body's top level is nothing but plain `function` declarations (not generators, not
 *   async), `const` bindings to a primitive literal (a number, string, `true`, `false`, `null`,
 *   optionally signed) and string directives — no `let`, `var`, `class` or other statements,
 *   so the instance's only bindings are functions and immutable primitives;
 * - a top-level function is only ever *called* by its name (`f(…)`, never `new f(…)`, never
 *   read as a value, assigned, or given properties), so no function object — nor its
 *   `prototype` — is ever reachable as a value a resolution could write to; names after `.`,
 *   `?.` or `#` are property names and do not count;
 * - it never names `eval` (a direct eval could assign the instance's bindings), `with`,
 *   `import`, `export` or `arguments`;
 * - the scan reads the text exactly as an engine does: ASCII outside literals and comments, no
 *   backslash outside literals, no HTML-like comments, and no `/` whose meaning (division or a
 *   regular expression) depends on the grammar rather than the previous token.
 *
 * With every intrinsic and the global object frozen (as the sandbox has them), such an instance
 * has no state: each call's objects are its own, its arguments are frozen, and nothing it can
 * reach outlives the call. The text must already compile on its own (`standaloneScript`).
 */
export function statelessScript(body: string): boolean {
  const tokens = tokenize(body);
  if (tokens === undefined) return false;
  const functions = new Set<string>();
  const declaredAt = new Set<number>();
  let k = 0;
  const atStatementEnd = (t: Token | undefined): boolean =>
    t === undefined ||
    (t.kind === "p" && t.text === ";") ||
    (t.kind === "id" && (t.text === "function" || t.text === "const"));
  while (k < tokens.length) {
    const t = tokens[k] as Token;
    if (t.kind === "p" && t.text === ";") {
      k++;
    } else if (t.kind === "str" && atStatementEnd(tokens[k + 1])) {
      k++;
    } else if (t.kind === "id" && t.text === "function") {
      const name = tokens[k + 1];
      const open = tokens[k + 2];
      if (name?.kind !== "id" || open?.kind !== "p" || open.text !== "(") return false;
      const afterParams = closing(tokens, k + 2);
      const body = tokens[afterParams];
      if (afterParams < 0 || body?.kind !== "p" || body.text !== "{") return false;
      const end = closing(tokens, afterParams);
      if (end < 0) return false;
      functions.add(name.text);
      declaredAt.add(k + 1);
      k = end;
    } else if (t.kind === "id" && t.text === "const") {
      k++;
      for (;;) {
        const name = tokens[k];
        const eq = tokens[k + 1];
        if (name?.kind !== "id" || eq?.kind !== "p" || eq.text !== "=") return false;
        k += 2;
        const sign = tokens[k];
        if (sign?.kind === "p" && (sign.text === "-" || sign.text === "+")) {
          k++;
          if (tokens[k]?.kind !== "num") return false;
        }
        if (!isLiteral(tokens[k])) return false;
        k++;
        const next = tokens[k];
        if (next?.kind === "p" && next.text === ",") {
          k++;
          continue;
        }
        if (!atStatementEnd(next)) return false;
        break;
      }
    } else return false;
  }
  for (let j = 0; j < tokens.length; j++) {
    const t = tokens[j] as Token;
    if (t.kind !== "id") continue;
    if (NEVER.has(t.text)) return false;
    if (!functions.has(t.text) || declaredAt.has(j)) continue;
    const prev = tokens[j - 1];
    if (prev?.kind === "p" && (prev.text === "." || prev.text === "?." || prev.text === "#")) continue;
    const next = tokens[j + 1];
    const called = next?.kind === "p" && next.text === "(";
    if (!called || (prev?.kind === "id" && prev.text === "new")) return false;
  }
  return true;
}
