/**
 * Bundles the web app with esbuild into examples/web-app/dist and prints what converge ships to
 * the page: core, resolvers, sync, WebSocket, BroadcastChannel and the IndexedDB store (what the
 * app imports from them) min+gzip against the budget, the whole page with the app's own code
 * beside it; the script package's browser entry, QuickJS's JavaScript and its wasm apart.
 *
 *   node --conditions=@converge/source examples/web-app/build.ts
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Sizes in bytes of one build. */
export interface BuildReport {
  readonly dir: string;
  /**
   * What the budget covers: converge's core, resolvers, sync, WebSocket, BroadcastChannel and
   * IndexedDB store code in the page — every value the app imports from them, bundled and
   * minified as the app bundles it — gzipped. The app's own code is not converge's.
   */
  readonly convergeGzip: number;
  readonly convergeMin: number;
  /** The whole page without QuickJS and the script entry: converge's part plus the app's own code. */
  readonly pageGzip: number;
  /** The script package's browser entry (QuickJS's driver and the sandbox source), min+gzip. */
  readonly scriptGzip: number;
  /** QuickJS's JavaScript glue, minified and gzipped, and its wasm (gzipped). */
  readonly quickjsJsGzip: number;
  readonly quickjsWasmGzip: number;
}

/** The budget for converge's code in the page, min+gzip (issue 15). */
export const PAGE_BUDGET_BYTES: number = 40 * 1024;

const QUICKJS: string[] = ["quickjs-emscripten-core", "@jitl/quickjs-wasmfile-release-sync"];

/**
 * An entry re-exporting every value the app's sources import from `@converge/*` (type-only
 * imports and the script package's browser entry, weighed apart, left out).
 */
export function convergeImports(dir: string): string {
  const names = new Map<string, Set<string>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/import\s+\{([^}]*)\}\s+from\s+"(@converge\/[^"]+)"/g)) {
      const from = m[2] as string;
      if (from === "@converge/script/browser") continue;
      const set = names.get(from) ?? new Set<string>();
      for (const part of (m[1] as string).split(",")) {
        const name = part.trim();
        if (name !== "" && !name.startsWith("type ")) set.add(name);
      }
      names.set(from, set);
    }
  }
  return [...names]
    .filter(([, set]) => set.size > 0)
    .map(([from, set]) => `export { ${[...set].sort().join(", ")} } from "${from}";`)
    .join("\n");
}

export async function buildWebApp(out: string = join(here, "dist")): Promise<BuildReport> {
  mkdirSync(out, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    format: "esm" as const,
    platform: "browser" as const,
    target: "es2022",
    conditions: ["@converge/source"],
    logLevel: "warning" as const,
  };
  // What ships: one bundle, QuickJS included.
  await build({ ...common, entryPoints: [join(here, "src/app.ts")], outfile: join(out, "app.js") });
  // The page with QuickJS left out, then converge's part alone: exactly what the app imports from
  // converge's packages (bundled as the app bundles it), without the app's own code.
  const page = await build({
    ...common,
    entryPoints: [join(here, "src/app.ts")],
    write: false,
    external: [...QUICKJS, "@converge/script/browser"],
  });
  const pageCode = page.outputFiles[0]?.contents ?? new Uint8Array();
  const own = await build({
    ...common,
    stdin: { contents: convergeImports(join(here, "src")), resolveDir: here },
    write: false,
    external: [...QUICKJS, "@converge/script/browser"],
  });
  const ownCode = own.outputFiles[0]?.contents ?? new Uint8Array();
  const script = await build({
    ...common,
    stdin: { contents: `export * from "@converge/script/browser";`, resolveDir: here },
    write: false,
    external: QUICKJS,
  });
  const scriptCode = script.outputFiles[0]?.contents ?? new Uint8Array();
  const quickjs = await build({
    ...common,
    stdin: {
      contents: `export * from "quickjs-emscripten-core"; export * as v from "@jitl/quickjs-wasmfile-release-sync";`,
      resolveDir: join(here, "../../packages/script"),
    },
    write: false,
  });
  const quickjsCode = quickjs.outputFiles[0]?.contents ?? new Uint8Array();
  const require = createRequire(join(here, "../../packages/script/package.json"));
  const wasm = require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  copyFileSync(wasm, join(out, "quickjs.wasm"));
  for (const f of ["index.html", "sw.js"]) copyFileSync(join(here, "static", f), join(out, f));
  // The demo's cart script, the same file the server's rules load.
  copyFileSync(join(here, "../resolvers/cart.js"), join(out, "cart.js"));
  const report: BuildReport = {
    dir: out,
    convergeGzip: gzipSync(ownCode, { level: 9 }).length,
    convergeMin: ownCode.length,
    pageGzip: gzipSync(pageCode, { level: 9 }).length,
    scriptGzip: gzipSync(scriptCode, { level: 9 }).length,
    quickjsJsGzip: gzipSync(quickjsCode, { level: 9 }).length,
    quickjsWasmGzip: gzipSync(readFileSync(wasm), { level: 9 }).length,
  };
  writeFileSync(join(out, "sizes.json"), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await buildWebApp();
  console.log(`web app built in ${r.dir}`);
  console.log(
    `  converge in the page: ${kb(r.convergeGzip)} min+gzip (${kb(r.convergeMin)} min), budget ${kb(PAGE_BUDGET_BYTES)}; with the app's own code ${kb(r.pageGzip)}`,
  );
  console.log(`  scripts: ${kb(r.scriptGzip)} min+gzip (converge's QuickJS driver and sandbox)`);
  console.log(`  QuickJS: ${kb(r.quickjsJsGzip)} JavaScript + ${kb(r.quickjsWasmGzip)} wasm, gzipped`);
  if (r.convergeGzip > PAGE_BUDGET_BYTES) process.exitCode = 1;
}
