import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Which source was measured: the commit and the package files changed since (read-only git queries). */
export interface SourceInfo {
  readonly commit: string | null;
  /** `git status --porcelain` lines under packages/ (uncommitted changes that were measured). */
  readonly uncommitted: readonly string[];
}

const root = fileURLToPath(new URL("../..", import.meta.url));

function git(args: readonly string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** Describes the measured source tree; nulls when git is unavailable. */
export function sourceInfo(): SourceInfo {
  const status = git(["status", "--porcelain", "--", "packages"]);
  return {
    commit: git(["rev-parse", "--short", "HEAD"]),
    uncommitted: status === null || status === "" ? [] : status.split("\n"),
  };
}
