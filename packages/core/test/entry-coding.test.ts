import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReplicatedMap, isConvergeError, type ReplicatedMap } from "../src/index.ts";
import { DEFAULT_DECODE_LIMITS, StateReader, StateWriter } from "../src/state-codec.ts";
import { caught, rules } from "./fixtures.ts";

// The compact entry layout of format version 3 (docs/FORMAT.md, "Entry" and "Registers"): dot
// seqs, key headers, the implicit resolver index. Every field has exactly one encoding, and the
// bytes a small delta costs are bounded.

const MAX_SEQ = 2 ** 52 - 1;
const seqArb = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: MAX_SEQ }));

describe("dots", () => {
  it("read back as written, each seq coded against its own replica's previous one", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), seqArb), { maxLength: 40 }), (dots) => {
        const ids = ["000000000000000a", "000000000000000b", "000000000000000c", "000000000000000d"];
        const table: string[] = [];
        const w = new StateWriter(new Map(), table);
        for (const [r, seq] of dots) w.dot(ids[r] as string, seq);
        const bytes = w.finish();
        const r = new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS);
        for (const [i, seq] of dots) {
          expect(r.dot()).toBe(ids[i]);
          expect(r.lastSeq).toBe(seq);
        }
        r.done();
      }),
    );
  });

  it("refuse a seq of 0 or above 2^52 - 1, and small deltas take one byte", () => {
    const table: string[] = [];
    const w = new StateWriter(new Map(), table);
    w.dot("000000000000000a", 100);
    w.dot("000000000000000a", 101);
    w.dot("000000000000000a", 70);
    // Replica index 0 before each seq: 100 from 0 (zigzag 200, two bytes), then +1 and −31.
    expect([...w.finish()]).toEqual([0, 0xc8, 0x01, 0, 2, 0, 61]);
    for (const delta of [0, -1, MAX_SEQ + 1]) {
      const bad = new StateWriter(new Map(), []);
      bad.uint(0);
      bad.uint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
      const bytes = bad.finish();
      const r = new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS);
      const error = caught(() => r.dot());
      expect(isConvergeError(error, "DECODE_MALFORMED"), String(error)).toBe(true);
    }
  });
});

const T = 1_764_000_000_000;

function replica(node: string): ReplicatedMap {
  return createReplicatedMap({ resolvers: rules, clockOptions: { node, now: () => T } });
}

describe("entries of a delta", () => {
  it("100 keys changed on a 10,000-key replica: at most 14 bytes per key, applied exactly", () => {
    const a = replica("000000000000000a");
    for (let i = 0; i < 10_000; i++) a.set(`key:${i}`, i & 1023);
    const b = replica("000000000000000b");
    b.applyState(a.encodeState());
    const written = new Map<string, number>();
    for (let j = 0; j < 100; j++) {
      const key = `key:${(j * 7919) % 10_000}`;
      a.set(key, 2000 + j);
      written.set(key, 2000 + j);
    }
    const delta = a.encodeDelta(b.versionVector());
    // Header, tables, context, since vector and checksum take well under 100 bytes.
    expect(delta.length).toBeLessThanOrEqual(100 + 14 * 100);
    expect(b.payloadKeys(delta)).toEqual([...written.keys()].sort());
    expect(b.applyDelta(delta).changed).toBe(100);
    for (const [key, value] of written) expect(b.get(key)).toBe(value);
    expect(b.get("key:1")).toBe(1);
    expect(b.encodeState()).toEqual(a.encodeState());
  });

  it("keys sharing 15 bytes or more (the key header's escape) round-trip through states and deltas", () => {
    const a = replica("000000000000000a");
    const prefix = "tenant/acme/users/";
    const keys = ["", "x", "y".repeat(140), `${"y".repeat(140)}z`, "😀", "😀😀"].flatMap((s) => [
      `${prefix}${s}`,
      `${prefix}${"p".repeat(200)}${s}`,
    ]);
    for (const [i, k] of keys.entries()) a.set(k, i);
    const b = replica("000000000000000b");
    b.applyState(a.encodeState());
    const base = b.versionVector();
    a.set(keys[3] as string, "changed");
    a.set(keys[10] as string, "changed too");
    b.applyDelta(a.encodeDelta(base));
    keys.forEach((k, i) => {
      expect(b.get(k)).toBe(i === 3 ? "changed" : i === 10 ? "changed too" : i);
    });
    expect(b.encodeState()).toEqual(a.encodeState());
  });
});
