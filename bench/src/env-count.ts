/** The process environment as the bench's settings read it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A non-negative integer setting (`_` allowed as a digit separator); throws naming the setting. */
export function count(name: string, text: string): number {
  const n = Number(text.trim().replace(/_/g, ""));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: ${JSON.stringify(text)} is not a count`);
  return n;
}

/** `env[name]` as a count, or `fallback` when unset or blank. */
export function intEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  return raw === undefined || raw.trim() === "" ? fallback : count(name, raw);
}
