import { readFileSync } from "node:fs";
import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { editText, yjsText } from "../src/index.ts";

// Runs the tour snippet of packages/yjs/README.md as it is written there (its first ```ts block).
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
const lines = snippet.trimEnd().split("\n");
const imports = lines.filter((l) => l.startsWith("import "));
const body = lines.filter((l) => !l.startsWith("import ")).join("\n");

describe("the README's tour of a text key", () => {
  it("is the snippet the root README's tour shows, character for character", () => {
    const root = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    expect(root).toContain(`\`\`\`ts\n${snippet}\`\`\``);
  });

  it("is at most 15 lines and imports only what the test hands it", () => {
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(imports).toEqual([
      'import { createReplicatedMap } from "@converge/core";',
      'import { lww } from "@converge/resolvers";',
      'import { editText, yjsText } from "@converge/yjs";',
    ]);
  });

  it("runs, and both replicas read what its comment says", () => {
    // The snippet is plain JavaScript; it runs with the imports bound to the real exports.
    const run = new Function(
      "createReplicatedMap",
      "lww",
      "editText",
      "yjsText",
      `${body}\nreturn { till, web };`,
    ) as (...args: unknown[]) => { till: ReplicatedMap; web: ReplicatedMap };
    const { till, web } = run(createReplicatedMap, lww, editText, yjsText);
    const claimed = /till\.get\("desc:apple"\); \/\/ "([^"]*)"/.exec(body)?.[1];
    expect(claimed).toBe("Fresh! Crisp apple. From Kent.");
    expect(till.get("desc:apple")).toBe(claimed);
    expect(web.get("desc:apple")).toBe(claimed);
    expect(web.encodeState()).toEqual(till.encodeState());
  });
});
