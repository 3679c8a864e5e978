import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * @converge/hlc, @converge/core (but its Node-only ./testing subpath) and @converge/resolvers must
 * run anywhere, browsers included: no Node built-in modules, no Node globals, no native modules.
 */
const root = fileURLToPath(new URL("../../packages/", import.meta.url));
const portable = ["hlc/src", "core/src", "resolvers/src"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "testing" ? [] : files(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("portability", () => {
  const sources = portable.flatMap((d) => files(join(root, d)));

  it("covers the portable packages", () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  it.each(sources.map((f) => [f.slice(root.length)]))("%s uses no Node-only API", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(text).not.toMatch(/from\s+["']node:|import\(\s*["']node:|\brequire\(/);
    expect(text).not.toMatch(/\bprocess\.|\b__dirname\b|\bsetImmediate\(/);
    // Buffer only as an optional, feature-detected fast path.
    for (const line of text.split("\n"))
      if (/\bBuffer\b/.test(line)) expect(line).toMatch(/Buffer\?|`Buffer|latin1Slice/);
    const pkg = JSON.parse(
      readFileSync(join(root, file.split("/")[0] as string, "package.json"), "utf8"),
    ) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@converge/"))).toEqual([]);
  });
});
