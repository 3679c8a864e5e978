import { MAX_COUNTER, MAX_WALL } from "@converge/hlc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CausalContext } from "../src/causal-context.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { PayloadDecoder } from "../src/payload/decode.ts";
import { encodePayload } from "../src/payload/encode.ts";
import { Sibling, Siblings } from "../src/register/sibling.ts";
import { DEFAULT_DECODE_LIMITS } from "../src/state-codec.ts";
import { bytes8ToHex } from "../src/version-vector.ts";
import { testLww, valueArb } from "./fixtures.ts";

/** Replica ids as they are in the bytes (no interning). */
const anyId = (b: Uint8Array, at: number): string => bytes8ToHex(b.subarray(at, at + 8));

// The decoder reads a register holding one value in a single pass of its own (StateReader.lone)
// and hands anything else to the resolver's decode. Both must read back exactly what was written.

const compiled = compileKeyRules({ default: testLww });
const replicaArb = fc.constantFrom("000000000000000a", "000000000000000b", "00000000000000ff");
// Sequence numbers and times around the lone reader's short-varint limits (2^28) and beyond, up
// to the largest seq a dot holds (2^52 − 1).
const seqArb = fc.oneof(
  fc.integer({ min: 1, max: 300 }),
  fc.integer({ min: 1, max: 2 ** 30 }),
  fc.integer({ min: 1, max: 2 ** 52 - 1 }),
);
const wallArb = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: MAX_WALL }));
const siblingArb = fc
  .record({
    replica: replicaArb,
    seq: seqArb,
    wall: wallArb,
    counter: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: MAX_COUNTER })),
    value: valueArb,
  })
  .map((s) => new Sibling(s.replica, s.seq, s.wall, s.counter, s.value));
const pairArb = fc
  .tuple(siblingArb, siblingArb)
  .filter(([a, b]) => a.replica !== b.replica)
  .map(([a, b]) => new Siblings(a.replica < b.replica ? [a, b] : [b, a], undefined));
const stateArb = fc.oneof({ weight: 4, arbitrary: siblingArb }, { weight: 1, arbitrary: pairArb });

function fields(state: unknown): unknown {
  const one = (s: Sibling) => [s.replica, s.seq, s.wall, s.counter, s.value];
  return state instanceof Sibling ? one(state) : (state as Siblings).siblings.map(one);
}

/** A state payload of `states` (keys k0, k1, …), decoded whole. */
function decodedLone(states: readonly Sibling[]): PayloadDecoder {
  const entries = states.map((state, i) => ({ key: `k${i}`, resolver: testLww, state }));
  const decoder = new PayloadDecoder(
    encodePayload("state", compiled.fingerprint, new CausalContext(), entries),
    compiled,
    DEFAULT_DECODE_LIMITS,
    anyId,
  );
  decoder.next(Number.POSITIVE_INFINITY);
  return decoder;
}

describe("payload decoder lanes", () => {
  it("register states read back field for field, whichever lane reads them", () => {
    fc.assert(
      fc.property(fc.array(stateArb, { minLength: 1, maxLength: 30 }), (states) => {
        const entries = states.map((state, i) => ({
          key: `k${String(i).padStart(3, "0")}`,
          resolver: testLww,
          state,
        }));
        const bytes = encodePayload("state", compiled.fingerprint, new CausalContext(), entries);
        const decoder = new PayloadDecoder(bytes, compiled, DEFAULT_DECODE_LIMITS, anyId);
        decoder.next(Number.POSITIVE_INFINITY);
        expect(decoder.done).toBe(true);
        for (let i = 0; i < states.length; i++) {
          expect(decoder.keys[i]).toBe(entries[i]?.key);
          expect(fields(decoder.stateAt(i))).toEqual(fields(states[i]));
        }
      }),
    );
  });

  // Regression, shrunk from seed 638396601: two keys written by one replica with seqs near 2^52.
  // Dots are coded as deltas from the replica's previous seq, so the second key's delta was short
  // and took the lone lane, whose 32-bit seq column kept only 2^32 − 49 of 2^52 − 49.
  it("a short seq delta to a seq past 32 bits is read whole (regression)", () => {
    const ff = "00000000000000ff";
    const states = [
      new Sibling(ff, 2 ** 52 - 20, 82_478_811_193_269, 5, 1),
      new Sibling(ff, 2 ** 52 - 49, 253_336_118_367_645, 12, 2),
      new Sibling(ff, 2 ** 32 + 3, 253_336_118_367_646, 0, 3),
      new Sibling(ff, 2 ** 32 - 1, 253_336_118_367_647, 0, 4),
    ];
    const decoder = decodedLone(states);
    expect(states.map((_, i) => fields(decoder.stateAt(i)))).toEqual(states.map(fields));
    // The last fits 32 bits and its delta is short: the lone lane still takes it.
    expect(decoder.isLone(3)).toBe(true);
  });

  it("the lone lane takes plain lone values, long first time deltas included", () => {
    const states = [
      new Sibling("000000000000000a", 7, 1_764_000_000_000, 3, "x"),
      new Sibling("000000000000000b", 2 ** 20, 1_764_000_000_005, 0, 12),
    ];
    const decoder = decodedLone(states);
    expect([decoder.isLone(0), decoder.isLone(1)]).toEqual([true, true]);
    expect(decoder.maxTime()).toEqual({ wall: 1_764_000_000_005, counter: 0, node: "000000000000000b" });
  });
});
