import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { YJS_MAJOR } from "../src/index.ts";

interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as Manifest;

describe("@converge/yjs's manifest", () => {
  it("takes yjs as a peer of the pinned major, not as a dependency; depends on converge alone", () => {
    expect(manifest.peerDependencies).toEqual({ yjs: `^${YJS_MAJOR}.6.0` });
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(["@converge/core", "@converge/hlc"]);
    expect(manifest.devDependencies?.["yjs"]).toMatch(new RegExp(`^${YJS_MAJOR}\\.`));
  });

  it("the yjs the tests run against is of that major", () => {
    const installed = JSON.parse(
      readFileSync(new URL("../node_modules/yjs/package.json", import.meta.url), "utf8"),
    ) as { version: string };
    expect(installed.version.split(".")[0]).toBe(String(YJS_MAJOR));
    expect(typeof Y.encodeStateAsUpdate).toBe("function");
  });
});
