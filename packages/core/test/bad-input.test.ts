import { createClock, timestamp } from "@converge/hlc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ConvergeErrorCode,
  createReplicatedMap,
  isConvergeError,
  type ReplicatedMap,
  registerResolver,
  type Value,
  type VersionVector,
  versionVector,
} from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { PayloadDecoder } from "../src/payload/decode.ts";
import { encodePayload } from "../src/payload/encode.ts";
import { sealPayload, unsealPayload } from "../src/payload/header.ts";
import { DEFAULT_DECODE_LIMITS } from "../src/state-codec.ts";
import { bytes8ToHex } from "../src/version-vector.ts";
import { caught, hex, replica, rules, type TestTime, testLww } from "./fixtures.ts";

/** Replica ids as they are in the bytes (no interning). */
const anyId = (b: Uint8Array, at: number): string => bytes8ToHex(b.subarray(at, at + 8));

const A = "00000000000000a1";
const B = "00000000000000b2";

function populated(time: TestTime) {
  const a = replica(A, time);
  a.set("alpha", 1);
  a.set("beta", { nested: ["x", 2] });
  a.set("mv:tags", "red");
  a.delete("alpha");
  a.set("gamma", "ünïcødé ✓");
  const b = replica(B, time);
  b.set("beta", 7);
  b.applyState(a.encodeState());
  return { a, b };
}

/** Applies `bytes` with every apply function and checks each fails with a typed error, changing nothing. */
function expectRefused(bytes: Uint8Array, code?: ConvergeErrorCode): void {
  const time = { now: 1_700_000_000_000 };
  const { b } = populated(time);
  const before = hex(b.encodeState());
  const vv = JSON.stringify(b.versionVector());
  const clock = JSON.stringify(b.clock.last());
  for (const apply of [b.apply, b.applyState, b.applyDelta, b.applyOp]) {
    const error = caught(() => apply(bytes));
    // The kind-specific functions may refuse on the payload kind first; `apply` accepts any kind.
    expect(isConvergeError(error, apply === b.apply ? code : undefined), `${String(error)}`).toBe(true);
    expect(hex(b.encodeState())).toBe(before);
    expect(JSON.stringify(b.versionVector())).toBe(vv);
    expect(JSON.stringify(b.clock.last())).toBe(clock);
  }
}

/**
 * `x`'s delta since `since` is refused by `y` (DELTA_UNKNOWN_BASE) and leaves it byte-identical;
 * a delta since `y`'s own vector is then accepted.
 */
function expectUnknownBase(x: ReplicatedMap, y: ReplicatedMap, since: VersionVector): void {
  const before = hex(y.encodeState());
  const bad = x.encodeDelta(since);
  expect(
    isConvergeError(
      caught(() => y.applyDelta(bad)),
      "DELTA_UNKNOWN_BASE",
    ),
  ).toBe(true);
  expect(hex(y.encodeState())).toBe(before);
  y.applyDelta(x.encodeDelta(y.versionVector()));
}

describe("bad input is refused with a typed error and changes nothing", () => {
  const time = { now: 1_700_000_000_000 };
  const { a } = populated(time);
  const state = a.encodeState();
  const delta = a.encodeDelta(versionVector());

  it("every truncation of a state and of a delta is DECODE_TRUNCATED", () => {
    for (const payload of [state, delta]) {
      for (let n = 0; n < payload.length; n++) expectRefused(payload.subarray(0, n), "DECODE_TRUNCATED");
    }
  });

  it("a corrupted byte is always refused and never half-applies", () => {
    fc.assert(
      fc.property(fc.nat(state.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = state.slice();
        bad[at] = (bad[at] as number) ^ xor;
        const t = { now: 1_700_000_000_000 };
        const { b } = populated(t);
        const before = hex(b.encodeState());
        const error = caught(() => b.applyState(bad));
        expect(isConvergeError(error), String(error)).toBe(true);
        expect(hex(b.encodeState())).toBe(before);
      }),
    );
  });

  it("a corrupted byte past the header is DECODE_CHECKSUM, at the stored sum's offset", () => {
    for (const payload of [state, delta]) {
      for (const at of [3, 4, 20, payload.length - 9, payload.length - 1]) {
        const bad = payload.slice();
        bad[at] = (bad[at] as number) ^ 0x40;
        expectRefused(bad, "DECODE_CHECKSUM");
        const error = caught(() => a.apply(bad));
        expect((error as { offset: number }).offset).toBe(payload.length - 8);
      }
    }
  });

  it("a declared length that disagrees with the bytes", () => {
    // Sealed with a length one byte too long (the last byte missing) or too short (one extra).
    const content = unsealPayload(state);
    const longer = sealPayload(new Uint8Array([...content, 0]));
    expectRefused(longer.subarray(0, longer.length - 1), "DECODE_TRUNCATED");
    expectRefused(new Uint8Array([...state, 0]), "DECODE_MALFORMED");
    const tiny = state.slice(0, 14);
    tiny[12] = 13; // declared: 13 bytes, shorter than header and checksum
    expectRefused(tiny.subarray(0, 13), "DECODE_MALFORMED");
  });

  it("trailing garbage, bad magic, unknown format version, unknown kind", () => {
    expectRefused(new Uint8Array([...state, 0]), "DECODE_MALFORMED");
    const magic = state.slice();
    magic[0] = 0;
    expectRefused(magic, "DECODE_MALFORMED");
    const version = state.slice();
    version[2] = 9;
    expectRefused(version, "FORMAT_VERSION");
    const kind = unsealPayload(state);
    kind[3] = 7;
    expectRefused(sealPayload(kind), "DECODE_MALFORMED");
    const v1 = state.slice();
    v1[2] = 1;
    expectRefused(v1, "FORMAT_VERSION");
    expect(String(caught(() => a.apply(v1)))).toContain("format version 1; this build reads version 3");
    expectRefused("not bytes" as unknown as Uint8Array, "INVALID_VALUE");
  });

  it("oversized payloads are refused before decoding", () => {
    const m = createReplicatedMap({ resolvers: rules, limits: { maxPayloadBytes: 10 } });
    expect(
      isConvergeError(
        caught(() => m.applyState(state)),
        "DECODE_TOO_LARGE",
      ),
    ).toBe(true);
    const few = createReplicatedMap({ resolvers: rules, limits: { maxEntries: 2 } });
    expect(
      isConvergeError(
        caught(() => few.applyState(state)),
        "DECODE_TOO_LARGE",
      ),
    ).toBe(true);
  });

  it("a remote clock far in the future: HLC_DRIFT, replica and clock unchanged", () => {
    const far = { now: 1_700_000_000_000 + 10 * 60 * 1000 };
    const future = replica("00000000000000c3", far);
    future.set("alpha", "from the future");
    expectRefused(future.encodeState(), "HLC_DRIFT");
  });

  it("state from an unknown resolver, another version, or other key rules", () => {
    const other = registerResolver<Value, Value>({
      id: "other",
      version: 1,
      resolve: (v) => (v[0] as { value: Value }).value,
    });
    const v2 = registerResolver<Value, Value>({
      id: "test-lww",
      version: 2,
      resolve: (v) => (v[0] as { value: Value }).value,
    });
    const t = { now: 1_700_000_000_000 };
    const unknown = replica("00000000000000c3", t, { default: other });
    unknown.set("k", 1);
    expectRefused(unknown.encodeState(), "UNKNOWN_RESOLVER");
    const newer = replica("00000000000000c3", t, { default: v2 });
    newer.set("k", 1);
    expectRefused(newer.encodeState(), "RESOLVER_VERSION");
    const differently = replica("00000000000000c3", t, { default: testLww, keys: { "mv:*": testLww } });
    differently.set("k", 1);
    expectRefused(differently.encodeState(), "CONFIG_MISMATCH");
  });

  it("a delta computed since a version this replica has not reached", () => {
    const t = { now: 1_700_000_000_000 };
    const x = replica(A, t);
    x.set("a", 1);
    x.set("b", 2);
    const y = replica(B, t);
    // Pretends y already has x's first op: applying would claim ops y never received.
    expectUnknownBase(x, y, versionVector({ [A]: 1 }));
    expect(y.get("a")).toBe(1);
  });

  it("a payload of the wrong kind for the function", () => {
    const t = { now: 1_700_000_000_000 };
    const x = replica(A, t);
    x.set("a", 1);
    const y = replica(B, t);
    expect(
      isConvergeError(
        caught(() => y.applyDelta(x.encodeState())),
        "WRONG_PAYLOAD_KIND",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => y.applyState(x.encodeDelta(y.versionVector()))),
        "WRONG_PAYLOAD_KIND",
      ),
    ).toBe(true);
  });

  it("invalid keys and values are refused before anything changes", () => {
    const t = { now: 1_700_000_000_000 };
    const x = replica(A, t);
    x.set("ok", 1);
    const before = hex(x.encodeState());
    expect(
      isConvergeError(
        caught(() => x.set("\ud800", 1)),
        "INVALID_KEY",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => x.set("k", () => 1)),
        "INVALID_VALUE",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => x.set("k", Number.NaN)),
        "INVALID_VALUE",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => x.increment("k")),
        "UNSUPPORTED_OPERATION",
      ),
    ).toBe(true);
    expect(hex(x.encodeState())).toBe(before);
    // No sequence number was consumed: the next op is seq 2 and deltas stay contiguous.
    x.set("k2", 2);
    expect(x.versionVector().get(A)).toBe(2);
  });

  it("a clock node id that does not match the payload's writer is irrelevant: times are checked, not trusted", () => {
    const t = { now: 1_700_000_000_000 };
    const clock = createClock({ node: B, now: () => t.now, maxDrift: 1000 });
    const y = replica(B, t, rules, clock);
    const x = replica(A, { now: t.now + 1001 });
    x.set("k", 1);
    expect(
      isConvergeError(
        caught(() => y.applyState(x.encodeState())),
        "HLC_DRIFT",
      ),
    ).toBe(true);
    expect(clock.last()).toEqual(timestamp(0, 0, B));
  });
});

describe("delta bases with gaps", () => {
  it("refuses a delta whose base includes an operation this replica only lacks in the middle", () => {
    const t = { now: 1_700_000_000_000 };
    const x = replica(A, t);
    const ops: Uint8Array[] = [];
    x.onOp((op) => ops.push(op));
    x.set("a", 1);
    x.set("b", 2);
    x.set("c", 3);
    const y = replica(B, t);
    // y receives ops 1 and 3, not 2: it has seen A:3 but not A:2.
    y.applyOp(ops[0] as Uint8Array);
    y.applyOp(ops[2] as Uint8Array);
    expectUnknownBase(x, y, versionVector({ [A]: 3 }));
    expect(y.get("b")).toBe(2);
  });
});

describe("key order in a payload", () => {
  // JavaScript orders strings by UTF-16 code unit, UTF-8 bytes by code point: the two disagree
  // between U+E000..U+FFFF and astral characters ("😀" sorts before "\uFFFF" in JavaScript).
  const keys = ["a😀", "a\uFFFF", "b", "ba", "c", "é", "ê"];
  const t = { now: 1_700_000_000_000 };
  const source = replica(A, t);
  for (const [i, k] of keys.entries()) source.set(k, i);
  const compiled = compileKeyRules(rules);

  /** A replica's state re-encoded with its entries in `order` (indexes into the sorted keys). */
  function reordered(order: readonly number[], from = source): Uint8Array {
    const decoder = new PayloadDecoder(from.encodeState(), compiled, DEFAULT_DECODE_LIMITS, anyId);
    decoder.next(Number.POSITIVE_INFINITY);
    const entries = order.map((i) => ({
      key: decoder.keys[i] as string,
      resolver: decoder.resolverAt(i),
      state: decoder.stateAt(i),
    }));
    return encodePayload("state", compiled.fingerprint, decoder.context, entries);
  }

  it("keys in JavaScript order round-trip, whatever their UTF-8 byte order", () => {
    const sorted = [...keys].sort();
    expect(sorted.indexOf("a😀")).toBeLessThan(sorted.indexOf("a\uFFFF"));
    const copy = replica(B, t);
    copy.applyState(source.encodeState());
    expect([...copy.entries()].map(([k]) => k).sort()).toEqual(sorted);
    expect(hex(copy.encodeState())).toBe(hex(source.encodeState()));
  });

  it("refuses keys out of order or repeated, where bytes alone decide and where strings must", () => {
    const n = keys.length;
    const identity = [...Array(n).keys()];
    expect(() => reordered(identity)).not.toThrow();
    const swaps: [number, number][] = [
      [0, 1], // astral vs U+FFFF: the bytes say ascending, JavaScript order says descending
      [2, 3], // "ba" before its prefix "b"
      [3, 4], // ASCII bytes differ
      [5, 6], // two-byte characters
    ];
    for (const [x, y] of swaps) {
      const order = [...identity];
      [order[x], order[y]] = [order[y] as number, order[x] as number];
      expectRefused(reordered(order), "DECODE_MALFORMED");
    }
    expectRefused(reordered([0, 1, 2, 2, 3]), "DECODE_MALFORMED");
  });

  it("refuses a long key out of order, where decoding it grows the key buffer", () => {
    // Regression: the grown buffer kept only the shared prefix, so the previous key's byte that
    // decides the order read as 0 and "b" followed by a 300-byte "a…" key was accepted.
    const long = replica(A, t);
    long.set("b", 1);
    long.set(`a${"x".repeat(299)}`, 2);
    expect(() => reordered([0, 1], long)).not.toThrow();
    expectRefused(reordered([1, 0], long), "DECODE_MALFORMED");
    const copy = replica(B, t);
    copy.applyState(reordered([0, 1], long));
    expect(copy.get(`a${"x".repeat(299)}`)).toBe(2);
  });
});
