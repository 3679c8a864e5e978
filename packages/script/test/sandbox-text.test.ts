import { describe, expect, it } from "vitest";
import { FREEZE } from "../src/freeze-source.ts";
import { createQuickJSEngine, scriptResolver } from "../src/index.ts";
import { prelude } from "../src/prelude.ts";
import { cleanMessage, FUEL_MARK } from "../src/sandbox-marks.ts";
import { standaloneScript, stripExports, wrapScript } from "../src/script-wrapper.ts";
import { sha256Hex } from "../src/sha256.ts";
import { DEFAULT_LIMITS } from "../src/types.ts";

// Golden values of the sandbox text as revision r4 has it (r3 until a stateless script got one
// instance per context). The text runs
// inside every resolution's fuel count, so a changed byte can move a verdict at the fuel limit:
// any change here must come with a new SANDBOX_REVISION (and a new engine tag), never silently.
const GOLDEN = {
  prelude: "d8ca61ebf2be01f61f72af01eec04f1dce4a1465338cb94bc83afb327e037888",
  freeze: "474b70c177e2f3689f806d2e883493d8f3c8d21669a82be7a13d3e563865a785",
  wrapProbe: "50cac48def1f6fe1d6b6e39f2a02a2f17e6dc947991209494b5a2e9a100356ee",
  wrapOne: "89e5da4b41a385bdcc84a87196bc4fe86bf37937c099634746444ff29a9d7331",
  wrapOneFresh: "13608db7a2da9b095561be8906993a05e4b6cbfd77250a09e124cf3a246cac37",
  wrapBoth: "36ce09a3b02076de0ada969bf56ed6a4796cc53de6c2926d1f254950cd6c1ad9",
  standalone: "a92bb6e957136bd617f5949a65cd873804661b7569ebe0a61b6ddf91df2b17a6",
} as const;
const MAX = "function merge(a, b) { return Math.max(a, b); }";
const MERGE = "function merge(a, b) { return a; }";

describe("the sandbox's own source text", () => {
  it("is byte for byte the text the engine tag r4 was recorded with, for both engines", () => {
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
    // A script that keeps state (a top-level let) gets a fresh instance per resolution.
    expect(sha256Hex(wrapScript(`let n = 0; ${MERGE}`, { merge: true, resolve: false, values: false }))).toBe(
      GOLDEN.wrapOneFresh,
    );
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
      expect(engine.load(MAX).engineTag).toBe("quickjs-0.32.0.r4.f1000.m32.s256");
      expect(scriptResolver({ source: MAX, engine }).id).toBe(
        "script:6beecdce297b124d@quickjs-0.32.0.r4.f1000.m32.s256",
      );
      expect(other.load("function resolve(v) { return v[0]; }").engineTag).toBe(
        "quickjs-0.32.0.r4.f1234.m17.s300",
      );
    } finally {
      engine.dispose();
      other.dispose();
    }
  });
});
