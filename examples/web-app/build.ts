/**
 * Bundles the web app with esbuild into examples/web-app/dist and prints what converge ships to
 * the page: core, resolvers, sync, WebSocket, BroadcastChannel and the IndexedDB store (with the
 * app's own code) min+gzip against the budget; the script package's browser entry, QuickJS's
 * JavaScript and its wasm apart.
 *
 *   node --conditions=@converge/source examples/web-app/build.ts
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
   * IndexedDB store code in the page, with the app's own few KB, minified and gzipped.
   */
  readonly convergeGzip: number;
  readonly convergeMin: number;
  /** The script package's browser entry (QuickJS's driver and the sandbox source), min+gzip. */
  readonly scriptGzip: number;
  /** QuickJS's JavaScript glue, minified and gzipped, and its wasm (gzipped). */
  readonly quickjsJsGzip: number;
  readonly quickjsWasmGzip: number;
}

/** The budget for converge's code in the page, min+gzip (issue 15). */
export const PAGE_BUDGET_BYTES: number = 40 * 1024;

const QUICKJS: string[] = ["quickjs-emscripten-core", "@jitl/quickjs-wasmfile-release-sync"];

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
  // The same bundle with QuickJS left out, to weigh converge's part alone.
  const own = await build({
    ...common,
    entryPoints: [join(here, "src/app.ts")],
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
    `  converge in the page: ${kb(r.convergeGzip)} min+gzip (${kb(r.convergeMin)} min), budget ${kb(PAGE_BUDGET_BYTES)}`,
  );
  console.log(`  scripts: ${kb(r.scriptGzip)} min+gzip (converge's QuickJS driver and sandbox)`);
  console.log(`  QuickJS: ${kb(r.quickjsJsGzip)} JavaScript + ${kb(r.quickjsWasmGzip)} wasm, gzipped`);
  if (r.convergeGzip > PAGE_BUDGET_BYTES) process.exitCode = 1;
}
