import { readFileSync, writeFileSync } from "node:fs";
import {
  createReplicatedMap,
  DecodeError,
  isConvergeError,
  type ReplicatedMap,
  versionVector,
} from "@converge/core";
import { FORMAT_VERSION } from "@converge/core/codec";
import { sealPayload, unsealPayload } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEdits, payloadEdits } from "../../../test/kit/payload-edits.ts";
import { allResolvers, hex } from "./harness.ts";

/**
 * Committed payloads pinning the binary format. A change to these bytes is a format change: bump
 * FORMAT_VERSION or the resolver's version, and update docs/FORMAT.md. Regenerate deliberately
 * with CONVERGE_WRITE_VECTORS=1. vectors-v1.json keeps the same scenario's payloads in format
 * version 1 (before the checksum; without the gcounter key) and vectors-v2.json in version 2
 * (before the compact entry layout), which this build must refuse.
 */
const file = new URL("./vectors.json", import.meta.url);
const v1File = new URL("./vectors-v1.json", import.meta.url);
const v2File = new URL("./vectors-v2.json", import.meta.url);

function fresh(): ReplicatedMap {
  return createReplicatedMap({
    resolvers: allResolvers,
    clockOptions: { node: "00000000000000ff", now: () => 1_764_150_000_000 },
  });
}

/** The code of the error `f` throws (fails the test when it throws none or an untyped one). */
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isConvergeError(e)) throw e;
    return e.code;
  }
  throw new Error("expected a typed error");
}

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
  a.increment("g:visits", 3);
  const empty = make("00000000000000c3");
  // A batch is sent in the general op layout even when it holds one write: the form of a lone
  // write that every earlier build of format version 2 sent, which this one still reads.
  const batcher = make("00000000000000d4");
  const batchOps: Uint8Array[] = [];
  batcher.onOp((op) => batchOps.push(op));
  batcher.batch(() => batcher.set("lww:name", "batched"));
  return {
    empty: empty.encodeState(),
    stateA: a.encodeState(),
    stateB: b.encodeState(),
    deltaBtoA: b.encodeDelta(versionVector({ "00000000000000a1": 3 })),
    // Single-write ops (kind 4): an ASCII string, an object with a byte array, non-ASCII key and value.
    firstOp: ops[0] as Uint8Array,
    objectOp: ops[1] as Uint8Array,
    unicodeOp: ops[6] as Uint8Array,
    deleteOp: ops[3] as Uint8Array,
    incrementOp: ops[2] as Uint8Array,
    batchOp: batchOps[0] as Uint8Array,
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
      const m = fresh();
      m.applyState(Buffer.from(committed[name] as string, "hex"));
      expect(hex(m.encodeState())).toBe(committed[name]);
    }
  });

  it("the samples cover every resolver kind and payload kind", () => {
    const all = Object.values(committed).join("");
    for (const id of ["lww", "mv", "max", "min", "gcounter", "pncounter"])
      expect(all, id).toContain(hex(new TextEncoder().encode(`${id}`)));
    expect(Object.keys(committed)).toEqual(expect.arrayContaining(["stateA", "deltaBtoA", "firstOp"]));
  });

  // The replica a corrupted payload is applied to: it holds the sender's state already (so an
  // accepted flip could change values it reads) and another replica's writes.
  const target = (): ReplicatedMap => {
    const m = fresh();
    m.applyState(Buffer.from(committed["stateB"] as string, "hex"));
    m.set("local", 1);
    return m;
  };

  it.each(Object.keys(committed))("every single-bit flip of %s is refused and changes nothing", (name) => {
    const bytes = Buffer.from(committed[name] as string, "hex");
    const m = target();
    const before = hex(m.encodeState());
    const codes = new Map<string, number>();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const bad = new Uint8Array(bytes);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      const code = codeOf(() => m.apply(bad));
      codes.set(code, (codes.get(code) ?? 0) + 1);
      expect(hex(m.encodeState())).toBe(before);
    }
    // Past the magic, version and length bytes, only the checksum can tell a flip: it always does.
    for (const code of codes.keys())
      expect(["DECODE_CHECKSUM", "DECODE_MALFORMED", "DECODE_TRUNCATED", "FORMAT_VERSION"]).toContain(code);
    expect(codes.get("DECODE_CHECKSUM")).toBeGreaterThanOrEqual((bytes.length - 16) * 8);
  });

  it.each(Object.keys(committed))("every truncation of %s is DECODE_TRUNCATED", (name) => {
    const bytes = Buffer.from(committed[name] as string, "hex");
    const m = target();
    const before = hex(m.encodeState());
    for (let n = 0; n < bytes.length; n++) {
      expect(
        codeOf(() => m.apply(bytes.subarray(0, n))),
        `${n} bytes`,
      ).toBe("DECODE_TRUNCATED");
    }
    expect(hex(m.encodeState())).toBe(before);
  });

  it("a checksum mismatch names the offset of the stored sum", () => {
    const bytes = new Uint8Array(Buffer.from(committed["stateA"] as string, "hex"));
    bytes[40] = (bytes[40] as number) ^ 0x10;
    const error = (() => {
      try {
        fresh().apply(bytes);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("DECODE_CHECKSUM");
    expect((error as DecodeError).offset).toBe(bytes.length - 8);
  });

  it.each([
    [1, v1File],
    [2, v2File],
  ])("format version %i payloads are refused, naming both versions", (version, oldFile) => {
    expect(FORMAT_VERSION).toBe(3);
    const old = JSON.parse(readFileSync(oldFile, "utf8")) as Record<string, string>;
    expect(Object.keys(old).length).toBeGreaterThan(3);
    for (const [name, h] of Object.entries(old)) {
      const m = target();
      const before = hex(m.encodeState());
      try {
        m.apply(Buffer.from(h, "hex"));
        expect.unreachable(`${name} was accepted`);
      } catch (e) {
        expect(isConvergeError(e, "FORMAT_VERSION"), String(e)).toBe(true);
        expect(String(e)).toMatch(new RegExp(`version ${version}\\b.*version 3\\b`));
      }
      expect(hex(m.encodeState())).toBe(before);
    }
  });

  it("edited samples (checksum fixed up) that the decoder accepts re-encode to the same bytes", () => {
    const states = ["stateA", "stateB"].map((n) => unsealPayload(Buffer.from(committed[n] as string, "hex")));
    const empty = hex(fresh().encodeState());
    fc.assert(
      fc.property(fc.nat(states.length - 1), payloadEdits, (which, edits) => {
        const bytes = sealPayload(applyEdits(states[which] as Uint8Array, edits));
        const m = fresh();
        try {
          m.applyState(bytes);
        } catch (error) {
          expect(isConvergeError(error), String(error)).toBe(true);
          expect(hex(m.encodeState())).toBe(empty);
          return;
        }
        expect(hex(m.encodeState())).toBe(hex(bytes));
      }),
      { numRuns: 20 * (fc.readConfigureGlobal().numRuns ?? 100) },
    );
  }, 120_000);
});
