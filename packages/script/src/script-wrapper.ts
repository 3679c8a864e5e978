/**
 * The user's script as the engines run it: exports stripped, checked to compile on its own, then
 * wrapped in a factory that runs the body afresh for every resolution (once per context for a
 * script proved stateless).
 */

import { statelessScript } from "./stateless-script.ts";

/**
 * Strips \`export\` before top-level declarations (scripts may be written as modules). Linear:
 * only spaces and tabs are matched around the keyword.
 */
export function stripExports(source: string): string {
  return source.replace(
    /^([ \t]*)export[ \t]+(?=(?:async[ \t]+)?function\b|const\b|let\b|var\b|class\b)/gm,
    "$1",
  );
}

/**
 * The text the engine must compile on its own, as a complete strict script, before
 * {@link wrapScript} may use the source: a source that compiles on its own cannot close the
 * factory it is placed in (the break-out `}); let n = 0; (function () {` does not compile).
 */
export function standaloneScript(body: string): string {
  return `"use strict";${body}\n`;
}

/**
 * Wraps a script body (already checked with {@link standaloneScript}) into a factory: every call
 * runs the body afresh and returns its \`merge\`, \`resolve\` and \`values\` declarations — or,
 * for a script {@link statelessScript} proves keeps no state, the sandbox runs it once and
 * every call returns that one instance.
 */
export function wrapScript(
  body: string,
  declared?: { readonly merge: boolean; readonly resolve: boolean; readonly values: boolean },
): string {
  // A script proved stateless is made once per context (see statelessScript).
  const once = declared !== undefined && statelessScript(body);
  // Once the script's shape is known, name only what it declares: \`typeof\` on an undeclared name
  // is a slow global lookup, and the factory runs for every key.
  const member = (name: "merge" | "resolve" | "values", test: string): string =>
    declared === undefined ? test : declared[name] ? name : "void 0";
  if (declared !== undefined && declared.merge !== declared.resolve) {
    // One of the two: the factory returns it, and builds no object for every key.
    const one = declared.merge ? "merge" : "resolve";
    return `"use strict";
globalThis.__converge.setFactory(function () {
"use strict";
${body}
;return ${one};
}, "${one}"${once ? ", true" : ""});
`;
  }
  return `"use strict";
globalThis.__converge.setFactory(function () {
"use strict";
${body}
;return {
  merge: ${member("merge", 'typeof merge === "function" ? merge : undefined')},
  resolve: ${member("resolve", 'typeof resolve === "function" ? resolve : undefined')},
  values: ${member("values", 'typeof values === "undefined" ? undefined : values')},
};
}${once ? ", undefined, true" : ""});
`;
}
