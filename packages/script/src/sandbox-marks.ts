/**
 * The marks the sandbox puts on messages of errors it raises itself (not the script), and the
 * bound on a message that leaves the engine.
 */

/** Marks messages of errors raised by the sandbox itself (not by the script); stripped before a message leaves. */
export const FORBIDDEN_MARK = "\u2063converge-nondeterminism\u2063";
export const NON_JSON_MARK = "\u2063converge-non-json\u2063";
export const TOO_LARGE_MARK = "\u2063converge-too-large\u2063";
export const FUEL_MARK = "\u2063converge-fuel\u2063";
const MARKS = [FORBIDDEN_MARK, NON_JSON_MARK, TOO_LARGE_MARK, FUEL_MARK];

/** Removes the sandbox's internal markers from a message. */
export function cleanMessage(message: string): string {
  let m = message;
  for (const mark of MARKS) m = m.split(mark).join("");
  return m;
}

/** Longest error message that leaves the engine (characters). */
export const MAX_MESSAGE = 500;
