import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEdits, payloadEdits } from "../../../test/kit/payload-edits.ts";
import { CausalContext } from "../src/causal-context.ts";
import { shortChecksumMatches, writeShortChecksum } from "../src/checksum.ts";
import { isConvergeError, type ReplicatedMap, type Value } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { PayloadDecoder } from "../src/payload/decode.ts";
import { encodePayload } from "../src/payload/encode.ts";
import { MAX_SINGLE_WRITE_BYTES, SINGLE_WRITE_KIND } from "../src/payload/format.ts";
import { openPayload } from "../src/payload/header.ts";
import { encodeSingleWrite, readSingleWrite } from "../src/payload/single-write.ts";
import { Sibling, type Siblings } from "../src/register/sibling.ts";
import { DEFAULT_DECODE_LIMITS } from "../src/state-codec.ts";
import { sealPayload, unsealPayload } from "../src/testing/index.ts";
import { bytes8ToHex } from "../src/version-vector.ts";
import { caught, hex, replica, rules, testLww, valueArb } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const fingerprint = compileKeyRules(rules).fingerprint;
/** Replica ids as they are in the bytes (no interning). */
const identity = (b: Uint8Array, at: number): string => bytes8ToHex(b.subarray(at, at + 8));

/** The ops `write` makes on a fresh replica A, as sent. */
function opsOf(write: (a: ReplicatedMap) => void, time = { now: 1_764_150_000_000 }): Uint8Array[] {
  const a = replica(A, time);
  const ops: Uint8Array[] = [];
  a.onOp((op) => ops.push(op));
  write(a);
  return ops;
}

/** Decodes a single-write op's fields (the frame checked first, as an apply does). */
function fields(bytes: Uint8Array, fp: Uint8Array = fingerprint) {
  const frame = openPayload(bytes, DEFAULT_DECODE_LIMITS, fp);
  expect(frame.single).toBe(true);
  return readSingleWrite(bytes, frame, DEFAULT_DECODE_LIMITS, identity);
}

const keyArb = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6 }));

describe("the single-write op (kind 4)", () => {
  it("its checksum is the standard CRC-32C, the fingerprint first", () => {
    const text = new TextEncoder().encode("123456789");
    const bytes = new Uint8Array(text.length + 4);
    bytes.set(text);
    // No fingerprint: the plain CRC-32C, whose published check value this is.
    writeShortChecksum(bytes, text.length, new Uint8Array(0));
    expect(new DataView(bytes.buffer).getUint32(text.length)).toBe(0xe3069283);
    // A fingerprint is summed as if it preceded the bytes.
    const withFp = new Uint8Array([...fingerprint, ...text]);
    writeShortChecksum(bytes, text.length, fingerprint);
    expect(new DataView(bytes.buffer).getUint32(text.length)).toBe(crcOf(withFp));
    expect(shortChecksumMatches(bytes, text.length, fingerprint)).toBe(true);
    expect(shortChecksumMatches(bytes, text.length, new Uint8Array(8))).toBe(false);
  });

  it("round-trips every field and re-encodes to the same bytes (any key, value, dot and time)", () => {
    fc.assert(
      fc.property(
        keyArb,
        valueArb,
        fc.integer({ min: 1, max: 2 ** 52 - 1 }), // a dot's seq is at most 2^52 − 1 (FORMAT.md)
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.integer({ min: 0, max: 65535 }),
        (key, value, seq, wall, counter) => {
          const bytes = encodeSingleWrite(fingerprint, key, A, seq, wall, counter, value);
          if (bytes === undefined) return; // longer than the layout allows: sent as kind 3
          expect(bytes.length).toBeLessThanOrEqual(MAX_SINGLE_WRITE_BYTES);
          const w = fields(bytes);
          expect([w.replica, w.seq, w.wall, w.counter, w.key]).toEqual([A, seq, wall, counter, key]);
          expect(w.value).toEqual(value);
          const again = encodeSingleWrite(fingerprint, w.key, w.replica, w.seq, w.wall, w.counter, w.value);
          expect(hex(again as Uint8Array)).toBe(hex(bytes));
        },
      ),
    );
  });

  it("is what a lone write sends: ~half the general layout's bytes", () => {
    const [single] = opsOf((a) => a.set("key:12345", 321));
    const general = generalOf(single as Uint8Array);
    expect((single as Uint8Array)[3]).toBe(SINGLE_WRITE_KIND);
    expect(general[3]).toBe(3);
    // Magic 4, length 1, id 8, seq 1, wall 6, counter 1, value 3, key 9, CRC 4.
    expect((single as Uint8Array).length).toBe(37);
    expect(general.length).toBeGreaterThan(60);
  });

  it("both layouts of one write apply to byte-identical replicas, with the same results and events", () => {
    fc.assert(
      fc.property(keyArb, valueArb, fc.boolean(), (key, value, preexisting) => {
        const time = { now: 1_764_150_000_000 };
        const [single] = opsOf((a) => a.set(key, value), time);
        if ((single as Uint8Array)[3] !== SINGLE_WRITE_KIND) return;
        const general = generalOf(single as Uint8Array);
        const results: string[] = [];
        for (const op of [single as Uint8Array, general]) {
          const b = replica(B, time);
          if (preexisting) b.set(key, "b's"); // concurrent: the general merge, both values kept
          const events: unknown[] = [];
          b.subscribe((e) => events.push(e.changes.map((c) => [c.key, c.value, c.previous])));
          const result = b.applyOp(op);
          const again = b.applyOp(op);
          expect(again).toEqual({ changed: 0, duplicate: true });
          results.push(JSON.stringify([hex(b.encodeState()), result, events, b.versionVector().entries()]));
        }
        expect(results[0]).toBe(results[1]);
      }),
    );
  });

  // Regression: packed register columns hold seqs in 32 bits, and a lone write with a larger seq
  // (any seq up to 2^52 − 1 is valid) went into them by the lone lane, cut to its low 32 bits.
  it("a seq past 32 bits survives the lone lane, new or concurrent (regression)", () => {
    const time = { now: 1_764_150_000_000 };
    for (const seq of [2 ** 32, 2 ** 40 + 5, 2 ** 52 - 1]) {
      for (const concurrent of [false, true]) {
        const single = encodeSingleWrite(fingerprint, "k", A, seq, time.now, 0, "a's") as Uint8Array;
        const states: string[] = [];
        for (const op of [single, generalOf(single)]) {
          const b = replica(B, time);
          if (concurrent) b.set("k", "b's");
          b.applyOp(op);
          const decoder = new PayloadDecoder(
            b.encodeState(),
            compileKeyRules(rules),
            DEFAULT_DECODE_LIMITS,
            identity,
          );
          decoder.next(Number.POSITIVE_INFINITY);
          const state = decoder.stateAt(0);
          const dots = (state instanceof Sibling ? [state] : (state as Siblings).siblings).map((s) => [
            s.replica,
            s.seq,
          ]);
          expect(dots).toContainEqual([A, seq]);
          states.push(hex(b.encodeState()));
        }
        expect(states[0]).toBe(states[1]);
      }
    }
  });

  // Regression: the change log kept a replica's seqs in an array by seq / 256, so one write with a
  // far seq (any seq up to 2^52 − 1 is valid) made every delta walk 2^28 empty buckets (10 s at
  // 2^36), and past 2^40 the bucket was not an array element and deltas left the write out.
  it("a write with a far seq reaches every delta, without a walk proportional to the seq (regression)", () => {
    const time = { now: 1_764_150_000_000 };
    const b = replica(B, time);
    b.set("near", 1);
    const seqs = [2 ** 30, 2 ** 36, 2 ** 41, 2 ** 52 - 1];
    seqs.forEach((seq, i) => {
      const op = encodeSingleWrite(fingerprint, `far:${i}`, A, seq, time.now, 0, seq) as Uint8Array;
      expect(b.applyOp(op)).toEqual({ changed: 1, duplicate: false });
    });
    const start = performance.now();
    const c = replica("00000000000000c3", time);
    c.applyDelta(b.encodeDelta(c.versionVector()));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(seqs.map((_, i) => c.get(`far:${i}`))).toEqual(seqs);
    expect(c.get("near")).toBe(1);
    expect(hex(c.encodeState())).toBe(hex(b.encodeState()));
    // A receiver that holds one of them already ends with the same state.
    const d = replica("00000000000000d4", time);
    d.applyOp(encodeSingleWrite(fingerprint, "far:1", A, 2 ** 36, time.now, 0, 2 ** 36) as Uint8Array);
    d.applyDelta(b.encodeDelta(d.versionVector()));
    expect(hex(d.encodeState())).toBe(hex(b.encodeState()));
  });

  it("applyAsync and payloadKeys read it as applyOp does", async () => {
    const time = { now: 1_764_150_000_000 };
    const [op] = opsOf((a) => a.set("mv:ü", { n: [1, 2] }), time);
    const sync = replica(B, time);
    sync.applyOp(op as Uint8Array);
    const later = replica(B, time);
    const result = await later.applyAsync(op as Uint8Array);
    expect(result).toEqual({ changed: 1, duplicate: false });
    expect(hex(later.encodeState())).toBe(hex(sync.encodeState()));
    expect(later.get("mv:ü")).toEqual([{ n: [1, 2] }]);
    expect(replica(B, time).payloadKeys(op as Uint8Array)).toEqual(["mv:ü"]);
  });

  it("is refused whole with a typed error: wrong kind, drift, other rules, a non-register key", () => {
    const time = { now: 1_764_150_000_000 };
    const [op] = opsOf((a) => a.set("k", 1), time);
    const b = replica(B, time);
    b.set("other", 2);
    const before = hex(b.encodeState());
    expect(caught(() => b.applyState(op as Uint8Array))).toSatisfy((e) =>
      isConvergeError(e, "WRONG_PAYLOAD_KIND"),
    );
    const [future] = opsOf((a) => a.set("k", 1), { now: time.now + 3_600_000 });
    expect(caught(() => b.applyOp(future as Uint8Array))).toSatisfy((e) => isConvergeError(e, "HLC_DRIFT"));
    // Rules that differ: the fingerprint is inside the checksum.
    const other = replica(B, time, { default: testLww, keys: { "x:*": testLww } });
    const e = caught(() => other.applyOp(op as Uint8Array));
    expect(isConvergeError(e, "DECODE_CHECKSUM"), String(e)).toBe(true);
    expect(String(e)).toContain("other key rules");
    // A forged op (checksum right) for a key whose resolver is not a register.
    const counters = replica(B, time, { default: counterRules });
    const forged = sealPayload(
      unsealPayload(op as Uint8Array),
      compileKeyRules({ default: counterRules }).fingerprint,
    );
    expect(caught(() => counters.applyOp(forged))).toSatisfy((x) => isConvergeError(x, "RESOLVER_MISMATCH"));
    expect(counters.size).toBe(0);
    expect(hex(b.encodeState())).toBe(before);
    expect(hex(other.encodeState())).toBe(
      hex(replica(B, time, { default: testLww, keys: { "x:*": testLww } }).encodeState()),
    );
  });

  it("writes longer than 1 KiB, batches and deletes go in the general layout", () => {
    const ops = opsOf((a) => {
      a.set("long", "x".repeat(MAX_SINGLE_WRITE_BYTES));
      a.batch(() => a.set("batched", 1));
      a.set("short", 1);
      a.delete("short");
    });
    expect(ops.map((op) => op[3])).toEqual([3, 3, SINGLE_WRITE_KIND, 3]);
    const b = replica(B, { now: 1_764_150_000_000 });
    for (const op of ops) b.applyOp(op);
    expect(b.get("long")).toBe("x".repeat(MAX_SINGLE_WRITE_BYTES));
    expect([b.get("batched"), b.has("short")]).toEqual([1, false]);
  });

  it("fills up to exactly 1024 bytes, and a byte more goes in the general layout", () => {
    const sizes = new Map<number, number>();
    const b = replica(B, { now: 1_764_150_000_000 });
    const ops = opsOf((a) => {
      for (let n = 950; n < 1030; n++) a.set(`k${n}`, "x".repeat(n));
    });
    for (const op of ops) {
      if (op[3] === SINGLE_WRITE_KIND) sizes.set(op.length, (sizes.get(op.length) ?? 0) + 1);
      else expect(op.length).toBeGreaterThan(MAX_SINGLE_WRITE_BYTES);
      b.applyOp(op);
    }
    expect(Math.max(...sizes.keys())).toBe(MAX_SINGLE_WRITE_BYTES);
    expect(ops.filter((op) => op[3] !== SINGLE_WRITE_KIND).length).toBeGreaterThan(0);
    for (let n = 950; n < 1030; n++) expect(b.get(`k${n}`)).toBe("x".repeat(n));
  });

  it("edited and resealed: refused with a typed error and nothing changed, or canonical", () => {
    const samples = opsOf((a) => {
      a.set("key:1", 5);
      a.set("mv:tags", "ünïcode");
      a.set("obj", { "4": [true, null], n: new Uint8Array([1, 2]), f: 2.5 });
    }).map(unsealPayload);
    fc.assert(
      fc.property(fc.nat(samples.length - 1), payloadEdits, (which, edits) => {
        const content = applyEdits(samples[which] as Uint8Array, edits);
        if (content[3] !== SINGLE_WRITE_KIND) return; // another layout: canonical.test.ts's domain
        const bytes = sealPayload(content, fingerprint);
        const b = replica(B, { now: 1_764_150_000_000 });
        const before = hex(b.encodeState());
        try {
          b.applyOp(bytes);
        } catch (error) {
          expect(isConvergeError(error), String(error)).toBe(true);
          expect(hex(b.encodeState())).toBe(before);
          return;
        }
        const w = fields(bytes);
        const again = encodeSingleWrite(fingerprint, w.key, w.replica, w.seq, w.wall, w.counter, w.value);
        expect(hex(again as Uint8Array)).toBe(hex(bytes));
        expect(b.get(w.key)).toEqual(w.key.startsWith("mv:") ? [w.value] : w.value);
      }),
      { numRuns: 20 * (fc.readConfigureGlobal().numRuns ?? 100) },
    );
  });
});

/** A counter resolver's stand-in: not a register (core tests cannot use @converge/resolvers). */
const counterRules = {
  ...testLww,
  id: "not-a-register",
};

/** The same write as the single-write op `op`, in the general op layout (kind 3). */
function generalOf(op: Uint8Array): Uint8Array {
  const w = fields(op);
  const dot = new CausalContext();
  dot.add(w.replica, w.seq);
  const resolver = compileKeyRules(rules).resolverFor(w.key);
  const state = new Sibling(w.replica, w.seq, w.wall, w.counter, w.value as Value);
  return encodePayload("op", fingerprint, dot, [{ key: w.key, resolver, state }]);
}

/** CRC-32C, bit by bit: the reference the table-driven one is checked against. */
function crcOf(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
