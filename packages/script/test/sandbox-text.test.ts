import { describe, expect, it } from "vitest";
import { FREEZE } from "../src/freeze-source.ts";
import { createQuickJSEngine, scriptResolver } from "../src/index.ts";
import { prelude } from "../src/prelude.ts";
import { cleanMessage, FUEL_MARK } from "../src/sandbox-marks.ts";
import { standaloneScript, stripExports, wrapScript } from "../src/script-wrapper.ts";
import { sha256Hex } from "../src/sha256.ts";
import { DEFAULT_LIMITS } from "../src/types.ts";

// Golden values, recorded from the sandbox text before it was split into files. The text runs
// inside every resolution's fuel count, so a changed byte can move a verdict at the fuel limit:
// any change here must come with a new SANDBOX_REVISION (and a new engine tag), never silently.
const GOLDEN = {
  prelude: "8cfc1a5506af3dbbcd689a93bc88a96dfba564c0b119e09a749870caeb628eec",
  freeze: "474b70c177e2f3689f806d2e883493d8f3c8d21669a82be7a13d3e563865a785",
  wrapProbe: "50cac48def1f6fe1d6b6e39f2a02a2f17e6dc947991209494b5a2e9a100356ee",
  wrapOne: "b380445b5323b1ad238b66285632bc23da8a164e51dc67f2077f30eb3f23871b",
  wrapBoth: "a4c9f08430f81eec9698332e5cc1f7e3fa2da6391a160bd25e244da24d350a0b",
  standalone: "a92bb6e957136bd617f5949a65cd873804661b7569ebe0a61b6ddf91df2b17a6",
} as const;
const MAX = "function merge(a, b) { return Math.max(a, b); }";
const MERGE = "function merge(a, b) { return a; }";

describe("the sandbox's own source text", () => {
  it("is byte for byte the text the engine tag r3 was recorded with, for both engines", () => {
    const options = {
      maxOutputBytes: DEFAULT_LIMITS.maxOutputBytes,
      nativeBudget: DEFAULT_LIMITS.fuel * 10_000,
    };
    expect(sha256Hex(prelude({ engine: "quickjs", ...options }))).toBe(GOLDEN.prelude);
    expect(sha256Hex(prelude({ engine: "isolated-vm", ...options }))).toBe(GOLDEN.prelude);
    expect(sha256Hex(FREEZE)).toBe(GOLDEN.freeze);
  });

  it("wraps a script into the same factory text, whatever its declarations", () => {
    expect(sha256Hex(wrapScript(MERGE))).toBe(GOLDEN.wrapProbe);
    expect(sha256Hex(wrapScript(MERGE, { merge: true, resolve: false, values: false }))).toBe(GOLDEN.wrapOne);
    expect(sha256Hex(wrapScript(MERGE, { merge: true, resolve: true, values: true }))).toBe(GOLDEN.wrapBoth);
    expect(sha256Hex(standaloneScript("x"))).toBe(GOLDEN.standalone);
    expect(stripExports("export function merge(a,b){}\n  export const values = 1;")).toBe(
      "function merge(a,b){}\n  const values = 1;",
    );
    expect(cleanMessage(`${FUEL_MARK}boom`)).toBe("boom");
  });

  it("gives the same engine tags and script ids", () => {
    const engine = createQuickJSEngine();
    const other = createQuickJSEngine({ fuel: 1234, memoryMb: 17, stackKb: 300 });
    try {
      expect(engine.load(MAX).engineTag).toBe("quickjs-0.32.0.r3.f1000.m32.s256");
      expect(scriptResolver({ source: MAX, engine }).id).toBe(
        "script:6beecdce297b124d@quickjs-0.32.0.r3.f1000.m32.s256",
      );
      expect(other.load("function resolve(v) { return v[0]; }").engineTag).toBe(
        "quickjs-0.32.0.r3.f1234.m17.s300",
      );
    } finally {
      engine.dispose();
      other.dispose();
    }
  });
});
