import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../src/", import.meta.url));

/** Every module specifier reachable from `entry` through relative imports, and the files walked. */
function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files: string[] = [];
  const bare = new Set<string>();
  const walk = (file: string): void => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(
      /(?:import|export)[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    )) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith(".")) walk(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  walk(entry);
  return { files, bare: [...bare].sort() };
}

describe("the root entry is isomorphic", () => {
  it("imports only converge packages, never ws, node:* or the server/ subpath", () => {
    const { files, bare } = importGraph(join(src, "index.ts"));
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(bare).toEqual(["@converge/hlc", "@converge/sync"]);
    expect(files.filter((f) => f.includes(`${join(src, "server")}`))).toEqual([]);
  });

  it("the server subpath is where ws lives", () => {
    const { bare } = importGraph(join(src, "server", "index.ts"));
    expect(bare).toContain("ws");
  });
});
