import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ClockDriftError, createClock, timestamp } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { type ConvergeErrorCode, isConvergeError } from "../src/index.ts";
import { caught } from "./fixtures.ts";

// The error table of docs/ERRORS.md, the code registries of the packages (`interface
// ConvergeErrorCodes` blocks, the source of the ConvergeErrorCode union) and the codes the sources
// throw must agree. Everything is read from the files, so a code added anywhere without the
// others fails here.

const root = new URL("../../../", import.meta.url).pathname;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const files = readdirSync(join(root, "packages"))
  .map((pkg) => join(root, "packages", pkg, "src"))
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true)
  .flatMap(sources)
  .map((path) => ({ path, text: readFileSync(path, "utf8") }));

/** The literal members of `type <name> = | "A" | "B";` in `text`. */
function unionMembers(text: string, name: string): string[] {
  const m = new RegExp(`type ${name}\\s*=([^;]*);`).exec(text);
  if (m === null) throw new Error(`no union type ${name}`);
  return [...(m[1] as string).matchAll(/"([A-Z0-9_]+)"/g)].map((x) => x[1] as string);
}

/** code → class, from every `interface ConvergeErrorCodes` block of every package. */
function registry(): Map<string, string> {
  const codes = new Map<string, string>();
  const add = (code: string, cls: string, where: string): void => {
    expect(codes.has(code), `${code} registered twice (again in ${where})`).toBe(false);
    codes.set(code, cls);
  };
  for (const { path, text } of files) {
    for (const block of text.matchAll(
      /interface ConvergeErrorCodes(?:\s+extends\s+([^{]*))?\s*\{([^}]*)\}/g,
    )) {
      for (const base of (block[1] ?? "").matchAll(/Record<(\w+),\s*(\w+)>/g)) {
        for (const code of unionMembers(text, base[1] as string)) add(code, base[2] as string, path);
      }
      for (const member of (block[2] as string).matchAll(/^\s*([A-Z][A-Z0-9_]*):\s*(\w+);/gm)) {
        add(member[1] as string, member[2] as string, path);
      }
    }
  }
  return codes;
}

/** Every SCREAMING_SNAKE string literal of the sources that is not an environment variable name. */
function thrownCodes(): Set<string> {
  const out = new Set<string>();
  for (const { text } of files) {
    for (const m of text.matchAll(/(env\(\s*)?"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)) {
      // Environment variable names (read with env(...), or named CONVERGE_*) are not codes.
      if (m[1] === undefined && !(m[2] as string).startsWith("CONVERGE_")) out.add(m[2] as string);
    }
  }
  return out;
}

interface Row {
  readonly code: string;
  readonly cls: string;
  readonly changed: string;
}

function table(): Row[] {
  const text = readFileSync(join(root, "docs/ERRORS.md"), "utf8");
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| `(\w+)` \|(.*)\|$/.exec(line);
    if (m === null) continue;
    const cells = (m[3] as string).split(" | ");
    rows.push({ code: m[1] as string, cls: m[2] as string, changed: (cells.at(-1) as string).trim() });
  }
  return rows;
}

describe("error codes", () => {
  const codes = registry();
  const rows = table();

  it("the registries hold the documented codes, the four once undocumented and DECODE_CHECKSUM", () => {
    for (const code of [
      "INVALID_CONFIG",
      "INVALID_VALUE",
      "HLC_RANGE",
      "HLC_PHYSICAL_TIME",
      "CONVERGENCE_VIOLATION",
      "DECODE_CHECKSUM",
      "SCRIPT_LOAD",
    ]) {
      expect(codes.has(code), code).toBe(true);
    }
    expect(codes.size).toBeGreaterThan(25);
  });

  it("docs/ERRORS.md lists exactly the codes of the union, once each, with their classes", () => {
    const listed = rows.map((r) => r.code);
    expect(new Set(listed).size, "a code listed twice").toBe(listed.length);
    const missing = [...codes.keys()].filter((c) => !listed.includes(c));
    const extra = listed.filter((c) => !codes.has(c));
    expect(missing, "registered codes missing from the table of docs/ERRORS.md").toEqual([]);
    expect(extra, "codes in docs/ERRORS.md that no registry holds").toEqual([]);
    const classes = new Set(
      files.flatMap(({ text }) =>
        [...text.matchAll(/export class (\w+) extends/g)].map((m) => m[1] as string),
      ),
    );
    for (const row of rows) {
      expect(classes.has(row.cls), `${row.code}: no class ${row.cls}`).toBe(true);
      // The testing codes are registered under their base class (see ERRORS.md); others by class.
      const registered = codes.get(row.code);
      if (registered !== "ConvergeError") expect(row.cls, row.code).toBe(registered);
      expect(row.changed, row.code).toMatch(/^nothing/);
    }
  });

  it("every code the sources throw is in the union", () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(20);
    for (const code of thrown) expect(codes.has(code), `${code} is thrown but not registered`).toBe(true);
  });

  it("isConvergeError takes only codes of the union and narrows to the code's class", () => {
    const clock = createClock({ node: "00000000000000a1", now: () => 0, maxDrift: 10 });
    const e = caught(() => clock.observe(timestamp(1_000, 0, "00000000000000b2")));
    expect(isConvergeError(e, "HLC_DRIFT")).toBe(true);
    if (!isConvergeError(e, "HLC_DRIFT")) throw new Error("unreachable");
    // Typed: `aheadBy` exists only on ClockDriftError.
    const ahead: number = e.aheadBy;
    expect(ahead).toBe(1_000);
    expect(e).toBeInstanceOf(ClockDriftError);
    const code: ConvergeErrorCode = e.code;
    expect(code).toBe("HLC_DRIFT");
    expect(isConvergeError(e, "HLC_RANGE")).toBe(false);
    // @ts-expect-error: not a code of the union
    expect(isConvergeError(e, "HLC_DRIFTED")).toBe(false);
    expect(isConvergeError(new Error("x"))).toBe(false);
    expect(isConvergeError({ code: "HLC_DRIFT" }, "HLC_DRIFT")).toBe(false);
  });
});
