import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isConvergeError } from "@converge/core";
import { rulesFromManifest, sha256Of } from "@converge/rules";
import { describe, expect, it } from "vitest";
import { loadRulesFile, parseRulesFile } from "../src/index.ts";

const MAX = "export function merge(a, b) { return Math.max(a, b); }";

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("rules files", () => {
  it("one description serves every document", () => {
    const documents = parseRulesFile(
      { default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } },
      () => {
        throw new Error("no scripts");
      },
    );
    const a = documents("a");
    const b = documents("anything else");
    expect(a?.manifest?.fingerprint).toBe(b?.manifest?.fingerprint);
    expect(a?.manifest?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it("versions by document: exact names beat patterns, the longest prefix wins, others are unknown", () => {
    const documents = parseRulesFile(
      {
        rules: {
          v1: { default: { resolver: "lww" } },
          v2: { default: { resolver: "lww" }, keys: { "stock:*": { resolver: "pncounter" } } },
          v3: { default: { resolver: "multiValue" } },
        },
        documents: { "shop-eu": "v2", "shop-*": "v1", "shop-us-*": "v3" },
      },
      () => "",
    );
    const fp = (name: string) => documents(name)?.manifest?.fingerprint;
    expect(fp("shop-eu")).not.toBe(fp("shop-fr"));
    expect(fp("shop-fr")).not.toBe(fp("shop-us-east"));
    expect(fp("shop-us-east")).not.toBe(fp("shop-eu"));
    expect(documents("elsewhere")).toBeUndefined();
    // Each manifest builds to its fingerprint.
    for (const name of ["shop-eu", "shop-fr", "shop-us-east"]) {
      const config = documents(name);
      const manifest = config?.manifest;
      if (manifest === undefined) throw new Error("no manifest");
      expect(rulesFromManifest(JSON.parse(JSON.stringify(manifest)))).toBeDefined();
    }
  });

  it("reads scripts named by file or listed under scripts, relative to the rules file", () => {
    const dir = mkdtempSync(join(tmpdir(), "converge-rules-"));
    mkdirSync(join(dir, "scripts"));
    writeFileSync(join(dir, "scripts", "max.js"), MAX);
    writeFileSync(
      join(dir, "rules.json"),
      JSON.stringify({
        rules: {
          byFile: {
            default: { resolver: "lww" },
            keys: { "best:*": { resolver: "script", file: "scripts/max.js" } },
          },
          byHash: {
            default: { resolver: "lww" },
            keys: { "best:*": { resolver: "script", sha256: sha256Of(MAX) } },
          },
        },
        documents: { a: "byFile", b: "byHash" },
        scripts: ["scripts/max.js"],
      }),
    );
    const documents = loadRulesFile(join(dir, "rules.json"));
    const a = documents("a")?.manifest;
    expect(a?.fingerprint).toBe(documents("b")?.manifest?.fingerprint);
    expect(a?.scripts).toEqual({ [sha256Of(MAX)]: MAX });
  });

  it("refuses malformed files with INVALID_CONFIG", () => {
    const dir = mkdtempSync(join(tmpdir(), "converge-rules-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(
      isConvergeError(
        caught(() => loadRulesFile(bad)),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => loadRulesFile(join(dir, "missing.json"))),
        "INVALID_CONFIG",
      ),
    ).toBe(true);
    const none = () => "";
    for (const input of [
      [],
      { rules: { v1: { default: { resolver: "lww" } } }, documents: { a: "v9" } },
      { rules: { v1: { default: { resolver: "lww" } } }, documents: { "a*b": "v1" } },
      { rules: { v1: { default: { resolver: "nope" } } }, documents: { a: "v1" } },
      { rules: { v1: { default: { resolver: "lww" } } }, documents: { a: "v1" }, extra: 1 },
    ]) {
      expect(
        isConvergeError(
          caught(() => parseRulesFile(input, none)),
          "INVALID_CONFIG",
        ),
        JSON.stringify(input),
      ).toBe(true);
    }
  });
});
