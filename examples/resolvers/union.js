// Lawful: concurrent sets (arrays of strings) read as their union, sorted.
export const values = { type: "array", items: { enum: ["apple", "pear", "fig", "kiwi"] }, maxLength: 4 };

export function merge(a, b) {
  return [...new Set([...a, ...b])].sort();
}
