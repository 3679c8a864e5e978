/** Marks the sandbox puts at the start of its own messages (`\u2063converge-…\u2063`), and stray separators. */
const MARKS = /\u2063converge-[a-z-]*\u2063|\u2063/g;

/** A message as users see it: without the sandbox's internal markers. */
export function clean(message: string): string {
  return message.replace(MARKS, "");
}
