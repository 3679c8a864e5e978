import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/** scripts/check-commits.sh, run on a scratch repository with one commit of each kind. */
const script = fileURLToPath(new URL("../../scripts/check-commits.sh", import.meta.url));
const repo = mkdtempSync(join(tmpdir(), "converge-commits-"));
const git = (...args: string[]): string =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], {
    cwd: repo,
    encoding: "utf8",
  }).trim();
const commit = (message: string): string => {
  git("commit", "--allow-empty", "-q", "--cleanup=verbatim", "-m", message);
  return git("rev-parse", "--short", "HEAD");
};
const check = (base: string): { status: number | null; out: string } => {
  const r = spawnSync("bash", [script, base], { cwd: repo, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe("scripts/check-commits.sh", () => {
  git("init", "-q");
  const base = commit("Start\n\nA base the checks start after.");
  const good = commit(`${"S".repeat(72)}\n\nWhy: a subject of exactly 72 characters is allowed.`);
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("passes commits with a short subject and a body", () => {
    expect(check(base)).toEqual({ status: 0, out: "" });
  });

  it("names each commit whose subject is long, whose body is missing, or that is a fix-up", () => {
    const long = commit(`${"L".repeat(73)}\n\nA body.`);
    const bare = commit("No body here");
    const lint = commit("lint\n\nFixes the commit before.");
    const glued = commit("Subject\nglued to its body");
    const { status, out } = check(good);
    expect(status).toBe(1);
    expect(out).toContain(`${long} ${"L".repeat(73)}: subject is 73 characters (at most 72)`);
    expect(out).toContain(`${bare} No body here: no body saying why`);
    expect(out).toContain(`${lint} lint: a fix-up commit`);
    expect(out).toContain(`${glued} Subject glued to its body: no blank line after the subject`);
    expect(out).not.toContain(good);
  });
});
