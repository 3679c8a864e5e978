/** Which law a `--replay` token replays, from which seed, along which fast-check path. */
export interface Replay {
  readonly law: string;
  readonly seed: number;
  readonly path: string;
}

/** The token printed with a failure: `<law>:<seed>:<path>` (shell-safe, pasted after `--replay`). */
export function replayToken(law: string, seed: number, path: string | undefined): string {
  return `${law}:${seed}:${path ?? ""}`;
}

/** Parses a `--replay` token; undefined when it is not one. */
export function parseReplay(token: string): Replay | undefined {
  const m = /^([a-z][a-z-]*):(-?\d+):((?:\d+(?::\d+)*)?)$/.exec(token);
  if (m === null) return undefined;
  const seed = Number(m[2]);
  if (!Number.isSafeInteger(seed)) return undefined;
  return { law: m[1] as string, seed, path: m[3] as string };
}
