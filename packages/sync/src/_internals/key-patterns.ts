/**
 * Whether `key` matches one of `patterns`, the patterns of key rules: an exact key, or
 * `prefix*` matching every key that starts with `prefix` (`*` alone matches every key).
 */
export function keyAllowed(key: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.endsWith("*") ? key.startsWith(p.slice(0, -1)) : key === p) return true;
  }
  return false;
}
