import { readFileSync, writeFileSync } from "node:fs";
import { createReplicatedMap, type ReplicatedMap, versionVector } from "@converge/core";
import { describe, expect, it } from "vitest";
import { allResolvers, hex } from "./harness.ts";

/**
 * Committed payloads pinning the binary format. A change to these bytes is a format change: bump
 * FORMAT_VERSION or the resolver's version, and update docs/FORMAT.md. Regenerate deliberately
 * with CONVERGE_WRITE_VECTORS=1.
 */
const file = new URL("./vectors.json", import.meta.url);

function scenario(): Record<string, Uint8Array> {
  let now = 1_764_150_000_000;
  const make = (node: string): ReplicatedMap =>
    createReplicatedMap({ resolvers: allResolvers, clockOptions: { node, now: () => now } });
  const a = make("00000000000000a1");
  const b = make("00000000000000b2");
  const ops: Uint8Array[] = [];
  a.onOp((op) => ops.push(op));
  a.set("lww:name", "converge");
  a.set("plain", { nested: [1, -2.5, null, true], bytes: new Uint8Array([0, 255]) });
  a.increment("pn:stock", 5);
  now += 1;
  b.set("lww:name", "concurrent");
  b.increment("pn:stock", 2);
  b.applyState(a.encodeState());
  a.delete("pn:stock");
  b.set("mv:tags", "x");
  a.set("mv:tags", "y");
  a.set("max:m", 3);
  a.set("min:ü", "ünïcode");
  const empty = make("00000000000000c3");
  return {
    empty: empty.encodeState(),
    stateA: a.encodeState(),
    stateB: b.encodeState(),
    deltaBtoA: b.encodeDelta(versionVector({ "00000000000000a1": 3 })),
    firstOp: ops[0] as Uint8Array,
    deleteOp: ops[3] as Uint8Array,
  };
}

describe("committed payload vectors", () => {
  const produced = Object.fromEntries(Object.entries(scenario()).map(([k, v]) => [k, hex(v)]));
  if (process.env["CONVERGE_WRITE_VECTORS"] === "1")
    writeFileSync(file, `${JSON.stringify(produced, null, 2)}\n`);
  const committed = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;

  it.each(Object.keys(committed))("%s encodes to the committed bytes", (name) => {
    expect(produced[name]).toBe(committed[name]);
  });

  it("every committed state decodes and re-encodes to the same bytes", () => {
    for (const name of ["empty", "stateA", "stateB"]) {
      const m = createReplicatedMap({
        resolvers: allResolvers,
        clockOptions: { node: "00000000000000ff", now: () => 1_764_150_000_000 },
      });
      m.applyState(Buffer.from(committed[name] as string, "hex"));
      expect(hex(m.encodeState())).toBe(committed[name]);
    }
  });
});
