import { createClock } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { CausalContext } from "../src/causal-context.ts";
import { writeChecksum, writeShortChecksum } from "../src/checksum.ts";
import type { Value } from "../src/index.ts";
import { createReplicatedMap, isConvergeError } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { encodePayload } from "../src/payload/encode.ts";
import { FIXED_HEADER_BYTES, SINGLE_WRITE_HEADER_BYTES } from "../src/payload/format.ts";
import { unsealPayload } from "../src/payload/header.ts";
import { encodeSingleWrite } from "../src/payload/single-write.ts";
import { Sibling, Siblings } from "../src/register/sibling.ts";
import { caught, hex, replica, rules } from "./fixtures.ts";

// Valid but extreme field values, one suspicion each: every fast path must read them as the
// general path does. Each case here found a bug (its comment says which).

const compiled = compileKeyRules(rules);
const A = "00000000000000a1";
const NOW = 1_764_150_000_000;

describe("valid but extreme fields", () => {
  // Found: applyAsync decoded a single-write op into 32-bit lone columns, so a seq past 2^32
  // came out truncated (2^52 - 49 read as 2^32 - 49) or, at 2^32 exactly, as no value at all.
  it("an async single-write op keeps a seq past 32 bits (regression)", async () => {
    for (const seq of [2 ** 32, 2 ** 32 + 1, 2 ** 52 - 49]) {
      const op = encodeSingleWrite(compiled.fingerprint, "k", A, seq, NOW, 0, "v") as Uint8Array;
      const byAsync = replica("0000000000000001", { now: NOW });
      await byAsync.applyAsync(op);
      const bySync = replica("0000000000000002", { now: NOW });
      bySync.applyOp(op);
      expect(byAsync.get("k")).toBe("v");
      expect(hex(byAsync.encodeState())).toBe(hex(bySync.encodeState()));
      // A later write of A's with a seq between the truncated one and the real one loses.
      const older = encodeSingleWrite(compiled.fingerprint, "k", A, seq - 1, NOW, 1, "old") as Uint8Array;
      byAsync.applyOp(older);
      expect(byAsync.get("k")).toBe("v");
    }
  });

  // Found: a replica restored from a state holding its own write at seq 2^52 - 1 (the largest a
  // dot carries) wrote at 2^52 anyway: its op and every state it encoded after were refused by
  // every replica (DECODE_MALFORMED, "sequence number out of range"), so it could never sync again.
  it("a replica whose seqs are used up refuses a write and changes nothing (regression)", () => {
    const top = 2 ** 52 - 1;
    const a = replica(A, { now: NOW });
    a.applyOp(encodeSingleWrite(compiled.fingerprint, "k", A, top, NOW - 10, 0, "v") as Uint8Array);
    const state = a.encodeState();
    const clock = createClock({ node: A, now: () => NOW });
    const restored = createReplicatedMap({ resolvers: rules, clock, state });
    const ops: Uint8Array[] = [];
    restored.onOp((op) => ops.push(op));
    const before = hex(restored.encodeState());
    const tick = clock.last();
    for (const write of [
      () => restored.set("k2", 1),
      () => restored.delete("k"),
      () => restored.batch(() => restored.set("k3", 3)),
    ]) {
      expect(isConvergeError(caught(write), "SEQ_OVERFLOW")).toBe(true);
    }
    expect(ops).toEqual([]);
    expect(clock.last()).toEqual(tick);
    expect(hex(restored.encodeState())).toBe(before);
    expect(restored.get("k2")).toBeUndefined();
    // What it holds still reads everywhere.
    const peer = replica("00000000000000b2", { now: NOW });
    peer.applyState(restored.encodeState());
    expect(peer.get("k")).toBe("v");
  });

  // Found: the length field's varint was checked minimal for its value, not for the payload: a
  // payload whose total fits a one-byte length (127) could also be sent one byte longer with a
  // two-byte length (128), and both were accepted — two encodings of one state, where the format
  // promises one.
  it("a length field one byte longer than it needs is refused (regression)", () => {
    // A state and a single-write op of exactly 127 bytes: the largest with a one-byte length.
    const a = replica(A, { now: NOW });
    let value = "";
    while (a.encodeState().length < 127) {
      value += "x";
      a.set("k", value);
    }
    const state = a.encodeState();
    expect(state.length).toBe(127);
    let text = "";
    let op: Uint8Array = new Uint8Array(0);
    while (op.length < 127) {
      text += "x";
      op = encodeSingleWrite(compiled.fingerprint, "k", A, 1, NOW, 0, text) as Uint8Array;
    }
    expect(op.length).toBe(127);
    const padded = (bytes: Uint8Array, head: number, sum: number): Uint8Array => {
      const content = bytes.subarray(0, bytes.length - sum);
      const out = new Uint8Array(bytes.length + 1);
      out.set(content.subarray(0, head));
      out.set([0x80, 0x01], head); // 128, in two bytes
      out.set(content.subarray(head + 1), head + 2);
      return out;
    };
    const longState = padded(state, FIXED_HEADER_BYTES, 8);
    writeChecksum(longState, 120);
    const longOp = padded(op, SINGLE_WRITE_HEADER_BYTES, 4);
    writeShortChecksum(longOp, 124, compiled.fingerprint);
    // The same content either way.
    expect(hex(unsealPayload(longState))).toBe(hex(unsealPayload(state)));
    expect(hex(unsealPayload(longOp))).toBe(hex(unsealPayload(op)));
    const b = replica("00000000000000b2", { now: NOW });
    expect(
      isConvergeError(
        caught(() => b.applyState(longState)),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => b.applyOp(longOp)),
        "DECODE_MALFORMED",
      ),
    ).toBe(true);
    expect(b.get("k")).toBeUndefined();
    b.applyState(state);
    b.applyOp(op);
    expect(b.get("k")).toBe(value);
  });

  // Found: a register's merge, its causal barrier (forget), its encode and decode, and the change
  // index's bookkeeping of a merged state each looked every replica up by a scan of the other
  // side's clock or siblings: quadratic in the replicas on one key. 8,000 concurrent writers
  // took 1.2 s to merge, 1.25 s to decode with a clock entry each beyond them and 1.5 s to
  // encode; 16,000 four times that. Now each is one forward walk.
  it("a key with thousands of concurrent writers merges and codes in linear time (regression)", () => {
    const n = 16_000;
    const id = (i: number): string => i.toString(16).padStart(16, "0");
    const mv = compiled.resolverFor("mv:x");
    /** n siblings (replica i wrote value i at seq `seq`), and `extra` replicas' deletes seen too. */
    const payload = (seq: number, extra: number): Uint8Array => {
      const context = new CausalContext();
      const siblings: Sibling[] = [];
      const clock: (string | number)[] = [];
      for (let i = 1; i <= n + extra; i++) {
        const s = i <= n ? seq : 1;
        context.raise(id(i), s);
        clock.push(id(i), s);
        if (i <= n) siblings.push(new Sibling(id(i), s, NOW - 100, 0, i * seq));
      }
      const state = new Siblings(siblings, extra > 0 ? clock : undefined);
      return encodePayload("state", compiled.fingerprint, context, [{ key: "mv:x", resolver: mv, state }]);
    };
    const first = payload(1, 0);
    const second = payload(2, 0);
    const withClock = payload(1, n);
    const started = performance.now();
    const a = replica("0fffffffffffffff", { now: NOW });
    a.applyState(first);
    a.applyState(second);
    const b = replica("0ffffffffffffffe", { now: NOW });
    b.applyState(withClock);
    const encoded = b.encodeState();
    const elapsed = performance.now() - started;
    // Every writer's later value replaced its first; the deletes seen take nothing away.
    const values = a.get("mv:x") as number[];
    expect(values.length).toBe(n);
    expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => (i + 1) * 2));
    expect((b.get("mv:x") as number[]).length).toBe(n);
    expect(a.encodeDelta(b.versionVector()).length).toBeGreaterThan(0);
    const c = replica("0ffffffffffffffd", { now: NOW });
    c.applyState(encoded);
    expect(hex(c.encodeState())).toBe(hex(encoded));
    // Quadratic, this took over 15 s; linear, well under one.
    expect(elapsed).toBeLessThan(3000);
  });

  // Found: a local set took strings and byte arrays of any length, but every decoder refuses one
  // past maxStringBytes (16 MiB by default): a replica that set one sent ops and states no replica
  // with its limits could apply, ever. The set is now refused, as the decode would be.
  it("a value with a string or bytes past maxStringBytes is refused locally (regression)", () => {
    const limits = { maxStringBytes: 8 };
    const make = (node: string) =>
      createReplicatedMap({ resolvers: rules, clock: createClock({ node, now: () => NOW }), limits });
    const a = make(A);
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    const tick = a.clock.last();
    for (const value of [
      "123456789",
      "\u00e9\u00e9\u00e9\u00e9\u00e9", // 10 UTF-8 bytes in 5 code units
      new Uint8Array(9),
      { "123456789": 1 },
      [[{ x: ["123456789"] }]],
    ]) {
      expect(
        isConvergeError(
          caught(() => a.set("k", value)),
          "INVALID_VALUE",
        ),
      ).toBe(true);
    }
    expect(ops).toEqual([]);
    expect(a.clock.last()).toEqual(tick);
    expect(a.has("k")).toBe(false);
    // At the limit: accepted, and a replica with the same limits applies all of it.
    const fits = ["12345678", "\u00e9\u00e9\u00e9\u00e9", new Uint8Array(8), { "12345678": ["12345678"] }];
    for (const [i, value] of fits.entries()) a.set(`k${i}`, value);
    const b = make("00000000000000b2");
    for (const op of ops) b.applyOp(op);
    const c = make("00000000000000c3");
    c.applyState(a.encodeState());
    for (const m of [b, c]) expect(fits.map((_, i) => m.get(`k${i}`))).toEqual(fits);
  });

  // Found: toValue copied byte arrays with `slice()`, which for Node's Buffer is a view: the
  // caller's later edits changed the stored value (and the local read was a Buffer where every
  // peer read a Uint8Array), so replicas diverged. A value read back from the map and written
  // again threw a TypeError when it held bytes inside a frozen object or at the top of a frozen
  // array (the copy was assigned into the frozen container). And bytes inside 64 nested arrays,
  // which a payload may carry, were refused by a local set as nested too deep.
  it("byte arrays in values: copied, written back, and at depth 64 (regression)", () => {
    const a = replica(A, { now: NOW });
    const ops: Uint8Array[] = [];
    a.onOp((op) => ops.push(op));
    const buf = Buffer.from([1, 2, 3]);
    a.set("buf", buf);
    buf[0] = 9;
    expect(a.get("buf")).toEqual(new Uint8Array([1, 2, 3]));
    expect(Object.getPrototypeOf(a.get("buf"))).toBe(Uint8Array.prototype);
    a.set("obj", { b: new Uint8Array([4]) });
    a.set("arr", [new Uint8Array([5])]);
    a.set("obj2", a.get("obj") as Value);
    a.set("arr2", a.get("arr") as Value);
    expect(a.get("obj2")).toEqual({ b: new Uint8Array([4]) });
    expect(a.get("arr2")).toEqual([new Uint8Array([5])]);
    // The copies are not the stored values they came from.
    expect((a.get("arr2") as Uint8Array[])[0]).not.toBe((a.get("arr") as Uint8Array[])[0]);
    let deep: Value = new Uint8Array([6]);
    for (let i = 0; i < 64; i++) deep = [deep];
    a.set("deep", deep);
    const b = replica("00000000000000b2", { now: NOW });
    for (const op of ops) b.applyOp(op);
    const c = replica("00000000000000c3", { now: NOW });
    c.applyState(a.encodeState());
    for (const m of [b, c]) {
      expect(hex(m.encodeState())).toBe(hex(a.encodeState()));
      // What a peer decoded, it can write again.
      m.set("again", m.get("deep") as Value);
      expect(m.get("again")).toEqual(deep);
    }
  });
});
