/** How `converge verify` compares and shows values: JSON equality, and text capped for a report. */

/** True when `a` and `b` have the same JSON text. */
export const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const MAX_TEXT = 4000;
/** `s`, cut at 4,000 characters with a note of how many more there were. */
export const cap = (s: string): string =>
  s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
/** A value's JSON text (or `String(v)`), capped. */
export const show = (v: unknown): string => cap(JSON.stringify(v) ?? String(v));

/** Thrown inside a property when the sandbox refused the script: the run stops there. */
export class SandboxStop extends Error {}
