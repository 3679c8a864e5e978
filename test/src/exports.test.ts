import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { pinned } from "./pinned-exports.ts";

interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
}

const packages = fileURLToPath(new URL("../../packages/", import.meta.url));

/** Entry point name (`@converge/core/codec`) → its source file, from each package's exports map. */
function entryPoints(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const dir of readdirSync(packages)) {
    const manifest = JSON.parse(readFileSync(join(packages, dir, "package.json"), "utf8")) as Manifest;
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target === "string") continue; // ./package.json
      const source = target["@converge/source"];
      if (source === undefined) throw new Error(`${manifest.name} ${subpath}: no @converge/source condition`);
      entries.set(join(manifest.name, subpath), join(packages, dir, source));
    }
  }
  return entries;
}

/** The names each entry point exports, types included, as the compiler resolves them. */
function exportedNames(files: readonly string[]): string[][] {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2024,
    customConditions: ["@converge/source"],
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  return files.map((file) => {
    const source = program.getSourceFile(file);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (module === undefined) throw new Error(`${file} is not a module`);
    return checker
      .getExportsOfModule(module)
      .map((s) => s.getName())
      .sort();
  });
}

describe("public faces", () => {
  const entries = entryPoints();
  const names = exportedNames([...entries.values()]);
  const actual = Object.fromEntries([...entries.keys()].map((entry, i) => [entry, names[i]]));

  it("every published entry point is pinned, and nothing else", () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(pinned).sort());
  });

  it.each(Object.keys(pinned))("%s exports exactly its pinned names", (entry) => {
    expect(actual[entry]).toEqual([...(pinned[entry] ?? [])].sort());
  });

  it("core's root stays small: at most 35 names, no encoding primitive or internal", () => {
    const root = actual["@converge/core"] ?? [];
    expect(root.length).toBeGreaterThan(0);
    expect(root.length).toBeLessThanOrEqual(35);
    for (const internal of ["CausalContext", "compileKeyRules", "resolverName", "Reader", "StateReader"])
      expect(root).not.toContain(internal);
  });

  it("the values a module exports at run time are among its pinned names", async () => {
    const modules: Record<string, Record<string, unknown>> = {
      "@converge/hlc": await import("@converge/hlc"),
      "@converge/core": await import("@converge/core"),
      "@converge/core/codec": await import("@converge/core/codec"),
      "@converge/resolvers": await import("@converge/resolvers"),
    };
    for (const [entry, module] of Object.entries(modules)) {
      const runtime = Object.keys(module);
      expect(runtime.length).toBeGreaterThan(0);
      expect(runtime.filter((name) => !pinned[entry]?.includes(name))).toEqual([]);
    }
  });
});
