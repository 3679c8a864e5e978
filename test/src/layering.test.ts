import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The documented layering (docs/ARCHITECTURE.md), as data: each package's row lists the workspace
 * packages its `src/` may import (itself is always allowed), whether it must run in browsers too
 * (no `node:*` or other Node built-in import, outside `nodeOnly` folders), and whether it is an
 * adapter (adapters never import one another).
 *
 * hlc ← core ← resolvers / script / sync / rules / yjs ← adapters ← server / cli.
 *
 * A new package is one new row here. A package with no row fails the test, with a message saying so.
 */
const LAYERS: Readonly<Record<string, Layer>> = {
  hlc: { may: [], isomorphic: true },
  core: { may: ["hlc"], isomorphic: true, nodeOnly: ["testing"] },
  resolvers: { may: ["hlc", "core"], isomorphic: true },
  script: { may: ["hlc", "core", "resolvers"], isomorphic: false },
  sync: { may: ["hlc", "core"], isomorphic: true },
  rules: { may: ["hlc", "core", "resolvers", "script", "sync"], isomorphic: true },
  yjs: { may: ["hlc", "core", "resolvers", "sync"], isomorphic: true },
  websocket: { may: ["hlc", "core", "sync"], isomorphic: true, nodeOnly: ["server"], adapter: true },
  "broadcast-channel": { may: ["hlc", "core", "sync"], isomorphic: true, adapter: true },
  "store-indexeddb": { may: ["hlc", "core", "sync"], isomorphic: true, adapter: true },
  "store-sqlite": { may: ["hlc", "core", "sync"], isomorphic: false, adapter: true },
  redis: { may: ["hlc", "core", "sync"], isomorphic: false, adapter: true },
  server: {
    may: ["hlc", "core", "resolvers", "script", "sync", "rules", "websocket", "store-sqlite"],
    isomorphic: false,
  },
  cli: {
    may: ["hlc", "core", "resolvers", "script", "sync", "rules", "server", "store-sqlite", "redis"],
    isomorphic: false,
  },
};

interface Layer {
  /** Workspace packages (directory names under packages/) this package's src may import. */
  readonly may: readonly string[];
  /** Runs in browsers too: no Node built-in imports. */
  readonly isomorphic: boolean;
  /** Folders of src/ exempt from `isomorphic` (Node-only subpaths, such as core's ./testing). */
  readonly nodeOnly?: readonly string[];
  /** A transport or storage adapter: imports no other adapter. */
  readonly adapter?: boolean;
}

/**
 * Inside core: which group of files may import which. The contract (what resolvers and the
 * payload see) imports neither the register machinery nor the engine; the register machinery
 * imports only the contract; the payload codec may use the register's lone lane; the replica sits
 * on all of them. A core file in no group fails the test.
 */
const CORE_GROUPS: readonly {
  readonly name: string;
  readonly files: RegExp;
  readonly may: readonly string[];
}[] = [
  {
    name: "contract",
    files:
      /^(resolver|state-codec|reader|writer|value|version-vector|causal-context|checksum|errors|key-rules|key-matcher|change-log|replica-interner|shape-keeper|snapshot|replicated-map-types|validate-options)\.ts$/,
    may: ["contract"],
  },
  { name: "register", files: /^register\//, may: ["contract", "register"] },
  { name: "payload", files: /^payload\//, may: ["contract", "register", "payload"] },
  {
    name: "replica",
    files: /^(replica\/|replicated-map\.ts$)/,
    may: ["contract", "register", "payload", "replica"],
  },
  { name: "faces", files: /^(index|codec)\.ts$/, may: ["contract", "register", "payload", "replica"] },
  {
    name: "testing",
    files: /^testing\//,
    may: ["contract", "register", "payload", "replica", "faces", "testing"],
  },
];

const packagesDir = fileURLToPath(new URL("../../packages/", import.meta.url));
const NODE_BUILTINS = new Set(builtinModules);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only and dynamic imports included. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The workspace package a bare specifier names (`@converge/core/codec` → `core`), or undefined. */
function workspacePackage(specifier: string): string | undefined {
  const m = /^@converge\/([^/]+)/.exec(specifier);
  return m?.[1];
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || NODE_BUILTINS.has(specifier.split("/")[0] as string);
}

/** The cycles of a graph (one per strongly connected component of more than one file, or a self-import). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

const packages = readdirSync(packagesDir).filter((name) =>
  statSync(join(packagesDir, name, "src"), { throwIfNoEntry: false })?.isDirectory(),
);

/** file (relative to packages/) → the relative imports it makes, resolved to files of the same package. */
function localGraph(pkg: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(join(packagesDir, pkg, "src"))) {
    const from = relative(packagesDir, file);
    const targets = importsOf(file)
      .filter((s) => s.startsWith("."))
      .map((s) => relative(packagesDir, resolve(dirname(file), s)));
    graph.set(from, targets);
  }
  return graph;
}

describe("layering", () => {
  it("finds the packages and their imports", () => {
    expect(packages).toEqual(expect.arrayContaining(["hlc", "core", "resolvers"]));
    expect(importsOf(join(packagesDir, "core/src/replicated-map.ts"))).toContain(
      "./replica/apply-pipeline.ts",
    );
  });

  it("knows every package: a new package needs a row in LAYERS", () => {
    const unknown = packages.filter((p) => LAYERS[p] === undefined);
    expect(
      unknown,
      `add a row for ${unknown.join(", ")} to LAYERS in test/src/layering.test.ts (what it may import, isomorphic or not)`,
    ).toEqual([]);
  });

  it("the table itself is layered: no cycle, adapters allow no adapter", () => {
    const graph = new Map(Object.entries(LAYERS).map(([p, l]) => [p, [...l.may]]));
    expect(cycles(graph)).toEqual([]);
    for (const [p, l] of Object.entries(LAYERS)) {
      if (l.adapter !== true) continue;
      expect(
        l.may.filter((d) => LAYERS[d]?.adapter === true),
        `adapter ${p} may import adapters`,
      ).toEqual([]);
    }
  });

  it.each(packages)("%s imports only what its layer allows", (pkg) => {
    const layer = LAYERS[pkg];
    if (layer === undefined) return; // reported by the test above
    const wrong: string[] = [];
    for (const file of sourceFiles(join(packagesDir, pkg, "src"))) {
      const rel = relative(join(packagesDir, pkg, "src"), file);
      const nodeOnly = (layer.nodeOnly ?? []).some((d) => rel.startsWith(`${d}/`));
      for (const s of importsOf(file)) {
        const target = workspacePackage(s);
        if (target !== undefined && target !== pkg && !layer.may.includes(target))
          wrong.push(
            `${pkg}/src/${rel} imports ${s} (${pkg} may import ${layer.may.join(", ") || "no package"})`,
          );
        if (layer.isomorphic && !nodeOnly && isNodeBuiltin(s))
          wrong.push(`${pkg}/src/${rel} imports the Node built-in ${s}, but ${pkg} must run in browsers too`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each(packages)("%s has no import cycle among its files", (pkg) => {
    expect(cycles(localGraph(pkg))).toEqual([]);
  });

  it("core's files import along its groups: the contract never reaches the register or the engine", () => {
    const groupOf = (file: string): string | undefined =>
      CORE_GROUPS.find((g) => g.files.test(file.replace(/^core\/src\//, "")))?.name;
    const wrong: string[] = [];
    for (const [file, targets] of localGraph("core")) {
      const group = groupOf(file);
      if (group === undefined) {
        wrong.push(`${file} is in no group of CORE_GROUPS (test/src/layering.test.ts): add it to one`);
        continue;
      }
      const may = (CORE_GROUPS.find((g) => g.name === group) as (typeof CORE_GROUPS)[number]).may;
      for (const t of targets) {
        const tg = groupOf(t);
        if (tg === undefined || !may.includes(tg))
          wrong.push(`${file} (${group}) imports ${t} (${tg ?? "no group"})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("docs/ARCHITECTURE.md names every file of core's src, so its drawing stays true", () => {
    const doc = readFileSync(fileURLToPath(new URL("../../docs/ARCHITECTURE.md", import.meta.url)), "utf8");
    const coreSrc = join(packagesDir, "core/src");
    const unnamed = sourceFiles(coreSrc)
      .map((f) => relative(coreSrc, f))
      .filter((f) => !doc.includes(`\`${f}\``));
    expect(unnamed, "add these files to the table of docs/ARCHITECTURE.md").toEqual([]);
  });

  it("the cycle finder finds cycles", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["d"]],
      ["e", ["a"]],
    ]);
    expect(cycles(graph)).toEqual([["a", "b", "c"], ["d"]]);
  });
});
