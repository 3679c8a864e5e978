import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The published face, as a user meets it: every publishable package is packed with `pnpm pack`,
 * its tarball's file list checked, and the tarballs installed with npm into a scratch project
 * outside the workspace (dependencies from the npm cache or registry). The README's tour is
 * taken from README.md's first ```ts block, its `// literal` comments turned into assertions,
 * and run there against dist/: on this Node, and on the oldest Node the engines of the packages
 * it imports allow. It also type-checks against the published declarations, and the installed
 * CLI verifies a script.
 */
const workspace = fileURLToPath(new URL("../../", import.meta.url));
const packagesDir = join(workspace, "packages");
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");

type ExportTarget = string | null | { readonly [condition: string]: ExportTarget };
interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly main?: string;
  readonly types?: string;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly exports?: ExportTarget;
  readonly engines?: { readonly node?: string };
  readonly publishConfig?: { readonly exports?: ExportTarget };
}
interface Packed {
  readonly dir: string;
  readonly manifest: Manifest; // as published (read back from the tarball)
  readonly tarball: string;
  readonly files: readonly string[];
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; never rejects (the exit code and output are the result). */
function run(command: string, args: readonly string[], cwd: string, env = cleanEnv()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr: stderr || (error?.message ?? "") });
    });
  });
}

/** The environment without the npm_* settings pnpm and vitest pass down, so npm runs as a user's would. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));
}

function ok(result: Run, what: string): string {
  if (result.code !== 0)
    throw new Error(`${what} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** Every path a manifest's exports, bin, main and types name, without the leading `./`. */
function namedPaths(manifest: Manifest): string[] {
  const paths: string[] = [];
  const walk = (target: ExportTarget | undefined): void => {
    if (typeof target === "string") paths.push(target);
    else if (target !== null && target !== undefined) for (const t of Object.values(target)) walk(t);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  if (manifest.main !== undefined) paths.push(manifest.main);
  if (manifest.types !== undefined) paths.push(manifest.types);
  return paths.map((p) => p.replace(/^\.\//, ""));
}

/** The conditions an exports map uses, at any depth. */
function conditions(target: ExportTarget | undefined): string[] {
  if (target === null || target === undefined || typeof target === "string") return [];
  return Object.entries(target).flatMap(([k, v]) => [k, ...conditions(v)]);
}

/** Lowest Node major a `>=N` engines range allows. */
function floor(range: string | undefined): number {
  const m = /^>=\s*(\d+)(?:\.\d+){0,2}$/.exec(range ?? "");
  if (m === null) throw new Error(`engines.node ${JSON.stringify(range)} is not of the form ">=N"`);
  return Number(m[1]);
}

const LITERAL_COMMENT =
  /^(\s*)(.+?);\s*\/\/ (undefined|null|true|false|-?\d+(?:\.\d+)?|"[^"]*"|\[[^\]]*\])\s*$/;

/** The README's tour, with each `expr; // literal` line turned into an assertion. */
function tourWithChecks(block: string): { code: string; checked: number } {
  let checked = 0;
  const lines = block.split("\n").map((line) => {
    const m = LITERAL_COMMENT.exec(line);
    if (m === null) return line;
    checked++;
    const [, indent, expr, literal] = m;
    return `${indent}tourCheck(${expr}, ${literal}, ${JSON.stringify(expr)});`;
  });
  // What the tour's prose comments promise, checked after it ran. Import declarations are
  // hoisted, so these lines may follow the tour's code.
  const checks = `
import { deepStrictEqual, equal, notEqual, throws } from "node:assert/strict";
import { compareTimestamps } from "@converge/hlc";
function tourCheck(actual: unknown, expected: unknown, what: string): void {
  deepStrictEqual(actual, expected, \`README tour: \${what} is \${String(actual)}, not \${String(expected)}\`);
}
const latest = [...till.conflicts("price:apple")].sort((a, b) => compareTimestamps(b.time, a.time))[0];
equal(till.conflicts("price:apple").length, 2);
deepStrictEqual(till.conflicts("price:apple").map((c) => c.value).sort(), [119, 120]);
equal(till.get("price:apple"), latest?.value, "the higher HLC timestamp wins");
equal(web.get("price:apple"), latest?.value, "on both replicas");
equal(till.get("stock:apple"), 20);
equal(web.get("stock:apple"), 20);
const before = till.encodeState();
throws(() => till.applyState(rogue.encodeState()), (e: unknown) => isConvergeError(e, "HLC_DRIFT"));
deepStrictEqual(till.encodeState(), before, "a refused state changes nothing");
notEqual(till.get("price:apple"), 1);
equal(view.get("price:apple"), latest?.value, "the snapshot still reads what it saw");
console.log(\`README tour ok on \${process.version}\`);
`;
  return { code: `${lines.join("\n")}\n${checks}`, checked };
}

function readmeTour(): string {
  const readme = readFileSync(join(workspace, "README.md"), "utf8");
  const block = /^## A short tour$[\s\S]*?^```ts\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (block === undefined) throw new Error("README.md has no ```ts block under ## A short tour");
  return block;
}

describe("published packages", () => {
  const scratch = mkdtempSync(join(tmpdir(), "converge-pack-"));
  const tarballs = join(scratch, "tarballs");
  const project = join(scratch, "project");
  const packed: Packed[] = [];
  let tour = "";

  beforeAll(async () => {
    mkdirSync(tarballs);
    mkdirSync(project);
    // dist/ as the sources say (incremental: quick when up to date).
    ok(await run(process.execPath, [tsc, "-b", "tsconfig.build.json"], workspace, process.env), "tsc -b");
    const dirs = readdirSync(packagesDir).filter((d) => {
      const file = join(packagesDir, d, "package.json");
      return existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as Manifest).private !== true;
    });
    const pnpm =
      process.env["npm_execpath"]?.includes("pnpm") === true ? process.env["npm_execpath"] : "pnpm";
    const [command, prefix] =
      pnpm.endsWith(".js") || pnpm.endsWith(".cjs") ? [process.execPath, [pnpm]] : [pnpm, []];
    const results = await Promise.all(
      dirs.map((dir) =>
        run(
          command,
          [...prefix, "pack", "--pack-destination", tarballs, "--json"],
          join(packagesDir, dir),
          process.env,
        ),
      ),
    );
    for (const [i, result] of results.entries()) {
      const dir = dirs[i] as string;
      const out = JSON.parse(ok(result, `pnpm pack in packages/${dir}`)) as {
        filename: string;
        files: { path: string }[];
      };
      const unpacked = join(scratch, "unpacked", dir);
      mkdirSync(unpacked, { recursive: true });
      ok(await run("tar", ["-xzf", out.filename, "-C", unpacked], scratch), "tar");
      const manifest = JSON.parse(
        readFileSync(join(unpacked, "package", "package.json"), "utf8"),
      ) as Manifest;
      packed.push({ dir, manifest, tarball: out.filename, files: out.files.map((f) => f.path) });
    }
    const dependencies = Object.fromEntries(packed.map((p) => [p.manifest.name, `file:${p.tarball}`]));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "converge-scratch", private: true, type: "module", dependencies }, null, 2),
    );
    ok(
      await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--no-package-lock"],
        project,
      ),
      "npm install of the tarballs",
    );
    tour = readmeTour();
  }, 240_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("packs every publishable package", () => {
    expect(packed.map((p) => p.manifest.name).sort()).toEqual([
      "@converge/broadcast-channel",
      "@converge/cli",
      "@converge/core",
      "@converge/hlc",
      "@converge/redis",
      "@converge/resolvers",
      "@converge/rules",
      "@converge/script",
      "@converge/server",
      "@converge/store-indexeddb",
      "@converge/store-sqlite",
      "@converge/sync",
      "@converge/websocket",
      "@converge/yjs",
    ]);
  });

  it("each tarball holds its LICENSE and README, dist/ only, and no build info", () => {
    const license = readFileSync(join(workspace, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the converge authors\n/);
    for (const p of packed) {
      expect(p.files, p.manifest.name).toContain("LICENSE");
      expect(p.files, p.manifest.name).toContain("README.md");
      expect(readFileSync(join(scratch, "unpacked", p.dir, "package", "LICENSE"), "utf8")).toBe(license);
      expect(p.manifest.license).toBe("MIT");
      expect(
        p.files.filter((f) => f.endsWith(".tsbuildinfo")),
        p.manifest.name,
      ).toEqual([]);
      expect(
        p.files.filter((f) => f.startsWith("src/") || /\.test\.|(^|\/)test\//.test(f)),
        p.manifest.name,
      ).toEqual([]);
      expect(p.files.some((f) => f === "dist/index.js")).toBe(true);
    }
  });

  it("every path a published manifest names is in its tarball, under no workspace-only condition", () => {
    for (const p of packed) {
      const missing = namedPaths(p.manifest).filter(
        (path) => path !== "package.json" && !p.files.includes(path),
      );
      expect(missing, `${p.manifest.name} names files its tarball lacks`).toEqual([]);
      expect(conditions(p.manifest.exports), p.manifest.name).not.toContain("@converge/source");
      expect(p.manifest.publishConfig?.exports, p.manifest.name).toBeUndefined(); // applied by pack
      expect(JSON.stringify(p.manifest)).not.toContain("workspace:");
    }
  });

  it("no published declaration carries an @internal member", () => {
    for (const p of packed) {
      const leaked = p.files.filter(
        (f) =>
          f.endsWith(".d.ts") &&
          readFileSync(join(scratch, "unpacked", p.dir, "package", f), "utf8").includes("@internal"),
      );
      expect(leaked, p.manifest.name).toEqual([]);
    }
  });

  it("npm installs one copy of each package, the packed one", () => {
    for (const p of packed) {
      const installed = join(project, "node_modules", ...p.manifest.name.split("/"));
      expect(JSON.parse(readFileSync(join(installed, "package.json"), "utf8"))).toEqual(p.manifest);
      expect(existsSync(join(installed, "node_modules", "@converge")), p.manifest.name).toBe(false);
    }
  });

  it("the README tour runs against the installed dist/ and does what its comments say", async () => {
    const { code, checked } = tourWithChecks(tour);
    expect(checked).toBeGreaterThanOrEqual(3); // the tour's `// literal` comments became assertions
    writeFileSync(join(project, "tour.ts"), code);
    const result = await run(process.execPath, ["tour.ts"], project);
    expect(result.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, "")).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`README tour ok on ${process.version}`);
  }, 60_000);

  it("the README tour type-checks, strictly, against the published declarations", async () => {
    writeFileSync(join(project, "readme.ts"), tour);
    const compilerOptions = {
      strict: true,
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2024",
      lib: ["es2024"],
      types: [],
      noEmit: true,
      skipLibCheck: false,
    };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["readme.ts"] }));
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], project);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  it("the packages the tour imports run it on the oldest Node their engines allow", async () => {
    const imported = [...new Set([...tour.matchAll(/from "(@converge\/[a-z-]+)/g)].map((m) => m[1]))];
    const engines = packed.filter(
      (p) => imported.includes(p.manifest.name) || p.manifest.name === "@converge/hlc",
    );
    expect(engines.length).toBeGreaterThanOrEqual(3);
    const oldest = Math.max(...engines.map((p) => floor(p.manifest.engines?.node)));
    expect(oldest).toBeLessThan(24); // the portable packages do not need the workspace's Node
    const { code } = tourWithChecks(tour);
    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(project, "tour.mjs"), js);
    const result = await run("npx", ["-y", "-p", `node@${oldest}`, "--", "node", "tour.mjs"], project);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`README tour ok on v${oldest}.`);
  }, 120_000);

  it("the installed CLI verifies a resolver script", async () => {
    const script = join(project, "max.js");
    writeFileSync(
      script,
      'export const values = { type: "integer", min: -9, max: 9 };\nexport function merge(a, b) { return Math.max(a, b); }\n',
    );
    const result = await run(
      join(project, "node_modules", ".bin", "converge"),
      ["verify", script, "--runs", "5", "--json"],
      project,
    );
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { ok: boolean }).ok).toBe(true);
  }, 60_000);
});
