import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { build, type Metafile } from "esbuild";
import fc from "fast-check";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as nodeEntry from "../src/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "../src/browser.ts");
const packages = join(here, "../..");
const cart = readFileSync(join(here, "../../../examples/resolvers/cart.js"), "utf8");
const wasmFile = createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");

/** A Node builtin, by any of its names (`fs`, `node:fs`, `fs/promises`). */
const isNodeBuiltin = (spec: string): boolean =>
  spec.startsWith("node:") ||
  builtinModules.includes(spec) ||
  builtinModules.includes(spec.split("/")[0] ?? "");

/** The bundle a page would load: the browser entry, minified, for `platform: "browser"`. */
async function bundle(
  input: { file: string } | { contents: string },
  minify: boolean,
): Promise<{ code: string; metafile: Metafile }> {
  const r = await build({
    ...("file" in input
      ? { entryPoints: [input.file] }
      : { stdin: { contents: input.contents, resolveDir: here, loader: "ts" } }),
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    conditions: ["@converge/source"],
    minify,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return { code: r.outputFiles[0]?.text ?? "", metafile: r.metafile };
}

describe("the browser entry, @converge/script/browser", () => {
  it("imports no Node builtin anywhere in its graph, and compiles without Node's types", () => {
    const program = ts.createProgram([entry], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2024,
      lib: ["lib.es2024.d.ts", "lib.esnext.collection.d.ts", "lib.dom.d.ts"],
      customConditions: ["@converge/source"],
      allowImportingTsExtensions: true,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const ours = program
      .getSourceFiles()
      .filter((f) => f.fileName.startsWith(packages) && !f.fileName.includes("node_modules"));
    // The graph reaches the engine and the packages it builds on, and none of the Node-only modules.
    const names = ours.map((f) => f.fileName.slice(packages.length + 1)).sort();
    expect(names).toContain("script/src/quickjs-engine.ts");
    expect(names).toContain("core/src/index.ts");
    for (const nodeOnly of ["engine.ts", "ivm-engine.ts", "supervisor.ts", "load.ts", "script-resolver.ts"])
      expect(names).not.toContain(`script/src/${nodeOnly}`);
    const imports: string[] = [];
    for (const f of ours) {
      const visit = (n: ts.Node): void => {
        if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier !== undefined)
          imports.push((n.moduleSpecifier as ts.StringLiteral).text);
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
          const [arg] = n.arguments;
          if (arg !== undefined && ts.isStringLiteral(arg)) imports.push(arg.text);
        }
        ts.forEachChild(n, visit);
      };
      visit(f);
    }
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter(isNodeBuiltin)).toEqual([]);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && ours.includes(d.file))
      .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it("bundles for platform browser with no Node builtin and the browser build of QuickJS", async () => {
    const { code, metafile } = await bundle({ file: entry }, true);
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter(isNodeBuiltin)).toEqual([]);
    expect(inputs.some((i) => i.endsWith("emscripten-module.browser.mjs"))).toBe(true);
    expect(inputs.some((i) => /emscripten-module\.(mjs|cjs)$/.test(i))).toBe(false);
    for (const out of Object.values(metafile.outputs)) expect(out.imports).toEqual([]);
    expect(code).not.toMatch(/["'`]node:/);
    // Every script/src file it holds is one the browser may run.
    const script = inputs
      .filter((i) => i.includes("script/src/"))
      .map((i) => i.replace(/.*script\/src\//, ""));
    expect(script).not.toContain("ivm-engine.ts");
    expect(script).not.toContain("supervisor.ts");
    // Sizes (min+gzip), QuickJS's wasm counted apart: printed for the record, bounded so growth is seen.
    const gz = gzipSync(code).length;
    const wasm = readFileSync(wasmFile);
    const wasmGz = gzipSync(wasm).length;
    const { code: own } = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      conditions: ["@converge/source"],
      minify: true,
      write: false,
      external: ["@converge/core", "@converge/hlc", "quickjs-emscripten-core", "@jitl/*"],
      logLevel: "silent",
    }).then((r) => ({ code: r.outputFiles[0]?.text ?? "" }));
    const ownGz = gzipSync(own).length;
    console.log(
      `browser entry: ${code.length} B min, ${gz} B min+gzip (with core, hlc and QuickJS's glue; ` +
        `the script package alone ${ownGz} B); QuickJS wasm ${wasm.length} B, ${wasmGz} B gzip`,
    );
    expect(gz).toBeLessThan(120_000);
    expect(ownGz).toBeLessThan(gz);
  }, 60_000);

  describe("run as a page would: the bundle, given the wasm as a compiled module", () => {
    let dir: string;
    let page: {
      loadQuickJS: (o: { wasm: WebAssembly.Module }) => Promise<void>;
      createScriptEngine: (o?: object) => unknown;
      scriptResolver: typeof nodeEntry.scriptResolver;
      createReplicatedMap: typeof createReplicatedMap;
      isConvergeError: (e: unknown, code: string) => boolean;
    };
    beforeAll(async () => {
      const harness = `export * from ${JSON.stringify(entry)};
export { createReplicatedMap } from "@converge/core";
export { isConvergeError } from "@converge/hlc";`;
      const { code } = await bundle({ contents: harness }, true);
      dir = mkdtempSync(join(tmpdir(), "converge-browser-"));
      const file = join(dir, "page.mjs");
      writeFileSync(file, code);
      page = await import(/* @vite-ignore */ pathToFileURL(file).href);
    }, 60_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("refuses engines before the wasm is loaded, and engines only Node has", async () => {
      const refused = (f: () => unknown): string => {
        try {
          f();
        } catch (e) {
          return page.isConvergeError(e, "SCRIPT_UNAVAILABLE") ? "SCRIPT_UNAVAILABLE" : String(e);
        }
        return "accepted";
      };
      expect(refused(() => page.scriptResolver({ source: cart }))).toBe("SCRIPT_UNAVAILABLE");
      await page.loadQuickJS({ wasm: new WebAssembly.Module(readFileSync(wasmFile)) });
      expect(refused(() => page.createScriptEngine({ engine: "isolated-vm" }))).toBe("SCRIPT_UNAVAILABLE");
      expect(refused(() => page.createScriptEngine({ supervised: true }))).toBe("SCRIPT_UNAVAILABLE");
      expect(refused(() => page.createScriptEngine())).toBe("accepted");
    });

    it("reads the same values and state bytes as the Node entry, and what the cart rule says", async () => {
      await page.loadQuickJS({ wasm: new WebAssembly.Module(readFileSync(wasmFile)) });
      const inPage = page.scriptResolver({ source: cart });
      const inNode = nodeEntry.scriptResolver({ source: cart });
      expect(inPage.id).toBe(inNode.id);
      const item = fc.constantFrom("apple", "fig", "pear");
      const cartArb = fc.dictionary(item, fc.integer({ min: 1, max: 5 }), { minKeys: 1 });
      // Per replica (3): carts written to keys k0..k5, each replica's writes concurrent with the others'.
      const writes = fc.array(fc.array(fc.tuple(fc.nat(5), cartArb), { maxLength: 8 }), {
        minLength: 3,
        maxLength: 3,
      });
      fc.assert(
        fc.property(writes, (perReplica) => {
          const side = (
            make: typeof createReplicatedMap,
            resolver: typeof inNode,
          ): { maps: ReplicatedMap[]; merged: ReplicatedMap } => {
            const maps = perReplica.map((ws, r) => {
              const m = make({
                resolvers: { default: resolver },
                clockOptions: { node: `00000000000000a${r}`, now: () => 1_764_000_000_000 },
              });
              for (const [k, v] of ws) m.set(`k${k}`, v);
              return m;
            });
            const merged = make({
              resolvers: { default: resolver },
              clockOptions: { node: "00000000000000ff", now: () => 1_764_000_000_000 },
            });
            for (const m of maps) merged.applyState(m.encodeState());
            return { maps, merged };
          };
          const node = side(createReplicatedMap, inNode);
          const browser = side(page.createReplicatedMap, inPage);
          // The oracle: each replica's last cart per key; concurrent carts merge item by item to the max.
          const expected = new Map<string, Record<string, number>>();
          for (const ws of perReplica) {
            const last = new Map<string, Record<string, number>>();
            for (const [k, v] of ws) last.set(`k${k}`, v);
            for (const [k, v] of last) {
              const acc = expected.get(k) ?? {};
              for (const [i, q] of Object.entries(v)) acc[i] = Math.max(acc[i] ?? 0, q);
              expected.set(k, acc);
            }
          }
          const sorted = (o: Record<string, number>) =>
            Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
          for (let k = 0; k <= 5; k++) {
            const key = `k${k}`;
            const want = expected.get(key);
            expect(browser.merged.get(key)).toEqual(want === undefined ? undefined : sorted(want));
            expect(browser.merged.get(key)).toEqual(node.merged.get(key));
          }
          expect(Buffer.from(browser.merged.encodeState())).toEqual(Buffer.from(node.merged.encodeState()));
          // And across the boundary: a page's state applied in Node reads the same, and back.
          const crossed = createReplicatedMap({
            resolvers: { default: inNode },
            clockOptions: { node: "00000000000000fe", now: () => 1_764_000_000_000 },
          });
          crossed.applyState(browser.merged.encodeState());
          for (let k = 0; k <= 5; k++) expect(crossed.get(`k${k}`)).toEqual(node.merged.get(`k${k}`));
          browser.maps[0]?.applyState(node.merged.encodeState());
          expect(Buffer.from(browser.maps[0]?.encodeState() ?? [])).toEqual(
            Buffer.from(node.merged.encodeState()),
          );
        }),
        { numRuns: 15 },
      );
    }, 120_000);
  });
});
