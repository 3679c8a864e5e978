import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyEdits, payloadEdits } from "../../../test/kit/payload-edits.ts";
import { Writer } from "../src/codec.ts";
import { createReplicatedMap, isConvergeError } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { FORMAT_VERSION } from "../src/payload/format.ts";
import { sealPayload, unsealPayload } from "../src/payload/header.ts";
import { caught, hex, rules } from "./fixtures.ts";

// Payloads written byte by byte, so that each can be made non-canonical in exactly one way. The
// canonical form of each is first shown to be accepted and to re-encode to the same bytes.

const A = "00000000000000a1";
const B = "00000000000000b2";
const fingerprint = compileKeyRules(rules).fingerprint;

/**
 * A lone register state: one sibling (replica index, seq, wall delta, counter, value bytes), no
 * extra clock. Each forged entry's dot is its replica's first in the payload, so its seq is
 * written as a delta from 0.
 */
interface Lone {
  readonly replica: number;
  readonly seq: number;
  readonly wall: number;
  readonly value: (w: Writer) => void;
}

interface Forged {
  /** Resolver table, in order. */
  readonly resolvers: readonly (readonly [string, number])[];
  /** Replica table, in order. */
  readonly replicas: readonly string[];
  /** Version vector: (replica index, seq), in replica-id order. */
  readonly vector: readonly (readonly [number, number])[];
  /** Entries: key, resolver index, state. */
  readonly entries: readonly (readonly [string, number, Lone])[];
  /** Write each entry's resolver index even when the table lists one resolver (not canonical). */
  readonly indexAlways?: boolean;
}

function forge(p: Forged): Uint8Array {
  const w = new Writer();
  w.raw(new Uint8Array([0x43, 0x56, FORMAT_VERSION, 1]));
  w.raw(fingerprint);
  w.uint(p.resolvers.length);
  for (const [id, version] of p.resolvers) {
    w.string(id);
    w.uint(version);
  }
  w.uint(p.replicas.length);
  for (const r of p.replicas) w.raw(Buffer.from(r, "hex"));
  w.uint(p.vector.length);
  for (const [r, seq] of p.vector) {
    w.uint(r);
    w.uint(seq);
  }
  w.uint(0); // no cloud
  w.uint(p.entries.length);
  let lastWall = 0;
  for (const [key, ri, s] of p.entries) {
    // Keys below are ASCII and share no prefix: the key header is 16 × length.
    w.uint(key.length * 16);
    w.raw(Buffer.from(key));
    if (p.resolvers.length > 1 || p.indexAlways === true) w.uint(ri);
    w.uint(2); // register header: one sibling, no extra clock
    w.uint(s.replica);
    w.int(s.seq);
    w.int(s.wall - lastWall);
    lastWall = s.wall;
    w.uint(0);
    s.value(w);
  }
  return sealPayload(w.finish());
}

const int =
  (n: number) =>
  (w: Writer): void => {
    w.byte(3);
    w.int(n);
  };
const T = 1_700_000_000_000;

/** Two keys, two resolvers, two replicas: every table in the order the encoder writes it. */
const canonical: Forged = {
  resolvers: [
    ["test-lww", 1],
    ["test-mv", 1],
  ],
  replicas: [A, B],
  vector: [
    [0, 1],
    [1, 1],
  ],
  entries: [
    ["a", 0, { replica: 0, seq: 1, wall: T, value: int(1) }],
    ["mv:x", 1, { replica: 1, seq: 1, wall: T + 1, value: int(2) }],
  ],
};

function fresh() {
  return createReplicatedMap({ resolvers: rules, clockOptions: { node: "00000000000000ff", now: () => T } });
}

function expectCanonical(bytes: Uint8Array): void {
  const m = fresh();
  m.applyState(bytes);
  expect(hex(m.encodeState())).toBe(hex(bytes));
}

function expectRefused(bytes: Uint8Array, message: RegExp): void {
  const m = fresh();
  const before = hex(m.encodeState());
  const error = caught(() => m.applyState(bytes));
  expect(isConvergeError(error, "DECODE_MALFORMED"), String(error)).toBe(true);
  expect(String(error)).toMatch(message);
  expect(hex(m.encodeState())).toBe(before);
}

describe("non-canonical payloads are refused", () => {
  it("the hand-written canonical payload is accepted and re-encodes to itself", () => {
    expectCanonical(forge(canonical));
  });

  it("a permuted replica table", () => {
    // Same replicas, listed B then A, every reference remapped: the same state, other bytes.
    const permuted = forge({
      ...canonical,
      replicas: [B, A],
      vector: [
        [1, 1],
        [0, 1],
      ],
      entries: [
        ["a", 0, { replica: 1, seq: 1, wall: T, value: int(1) }],
        ["mv:x", 1, { replica: 0, seq: 1, wall: T + 1, value: int(2) }],
      ],
    });
    expectRefused(permuted, /replica index 1 before index 0 was used/);
  });

  it("a permuted replica table where the first reference is in an entry's lone value", () => {
    const noVector: Forged = { ...canonical, vector: [] };
    // Without a vector the entries are the first references (read by the decoder's fast lane).
    expect(() => forge(noVector)).not.toThrow();
    const permuted = forge({
      ...noVector,
      replicas: [B, A],
      entries: [
        ["a", 0, { replica: 1, seq: 1, wall: T, value: int(1) }],
        ["mv:x", 1, { replica: 0, seq: 1, wall: T + 1, value: int(2) }],
      ],
    });
    expectRefused(permuted, /replica index 1 before index 0 was used/);
  });

  it("an unused replica-table entry", () => {
    expectRefused(
      forge({ ...canonical, replicas: [A, B, "00000000000000c3"] }),
      /replica table lists a replica nothing in the payload refers to/,
    );
  });

  it("a permuted resolver table", () => {
    const permuted = forge({
      ...canonical,
      resolvers: [
        ["test-mv", 1],
        ["test-lww", 1],
      ],
      entries: [
        ["a", 1, { replica: 0, seq: 1, wall: T, value: int(1) }],
        ["mv:x", 0, { replica: 1, seq: 1, wall: T + 1, value: int(2) }],
      ],
    });
    expectRefused(permuted, /resolver index 1 before index 0 was used/);
  });

  it("an unused or repeated resolver-table entry", () => {
    expectRefused(
      forge({ ...canonical, entries: canonical.entries.slice(0, 1) }),
      /resolver table lists a resolver no entry uses/,
    );
    expectRefused(
      forge({ ...canonical, resolvers: [...canonical.resolvers, ["test-lww", 1]] }),
      /listed twice/,
    );
  });

  it("a resolver index in a payload whose table lists one resolver", () => {
    const one: Forged = {
      ...canonical,
      resolvers: [["test-lww", 1]],
      entries: [["a", 0, { replica: 0, seq: 1, wall: T, value: int(1) }]],
      vector: [[0, 1]],
      replicas: [A],
    };
    expectCanonical(forge(one));
    // The index byte 0 would be read as the register header: a state with neither values nor clock.
    expectRefused(forge({ ...one, indexAlways: true }), /neither values nor clock/);
  });

  /** The canonical payload with `bytes` as the value of key "a". */
  const withValue = (value: (w: Writer) => void): Uint8Array =>
    forge({
      ...canonical,
      entries: [
        ["a", 0, { replica: 0, seq: 1, wall: T, value }],
        canonical.entries[1] as (typeof canonical.entries)[1],
      ],
    });
  /** An object value with these keys, each holding the integer 0. */
  const object =
    (...keys: string[]) =>
    (w: Writer): void => {
      w.byte(7);
      w.uint(keys.length);
      for (const k of keys) {
        w.string(k);
        int(0)(w);
      }
    };

  it("object keys not in JavaScript's property order", () => {
    // JavaScript enumerates array-index keys first, ascending: {n, "4"} is {"4", n}.
    expectCanonical(withValue(object("4", "n")));
    expectCanonical(withValue(object("2", "10", "4294967294", "z", "a", "4294967295", "01")));
    expectRefused(withValue(object("n", "4")), /object key "4" out of JavaScript property order/);
    expectRefused(withValue(object("10", "2")), /object key "2" out of JavaScript property order/);
    expectRefused(withValue(object("4294967295", "0")), /object key "0" out of JavaScript property order/);
  });

  it("duplicate object keys", () => {
    expectRefused(withValue(object("x", "x")), /duplicate object key "x"/);
    expectRefused(withValue(object("3", "3")), /object key "3" out of JavaScript property order/);
  });

  it("a string starting with U+FEFF keeps it (it is not read as a byte-order mark)", () => {
    const bom = (w: Writer): void => {
      w.byte(5);
      w.string("\uFEFFbom");
    };
    const bytes = withValue(bom);
    expectCanonical(bytes);
    const m = fresh();
    m.applyState(bytes);
    expect(m.get("a")).toBe("\uFEFFbom");
    const keyed = createReplicatedMap({ resolvers: rules, clockOptions: { node: A, now: () => T } });
    keyed.set("\uFEFFk", "\uFEFF".repeat(40));
    const copy = fresh();
    copy.applyState(keyed.encodeState());
    expect([...copy.entries()]).toEqual([["\uFEFFk", "\uFEFF".repeat(40)]]);
  });
});

/** State payloads with every shape the registers make: conflicts, deletes, a cloud, nested values. */
function samples(): Uint8Array[] {
  const time = { now: T };
  const make = (node: string) =>
    createReplicatedMap({ resolvers: rules, clockOptions: { node, now: () => time.now } });
  const a = make(A);
  const b = make(B);
  const c = make("00000000000000c3");
  const ops: Uint8Array[] = [];
  a.onOp((op) => ops.push(op));
  a.set("alpha", 1);
  a.set("beta", {
    n: [1, -2.5, null, true, false],
    "4": "ünï",
    "": new Uint8Array([0, 255]),
    x: { a: 1, b: 2 },
  });
  a.set("mv:tags", "red");
  time.now += 3;
  b.set("mv:tags", "blue");
  b.set("gamma", 2 ** 40);
  a.delete("alpha");
  a.set("delta", -0);
  a.set("😀", "x".repeat(70));
  b.applyState(a.encodeState());
  b.set("beta", 7.25);
  // c sees a's first and fourth ops only: a cloud above its vector.
  c.applyOp(ops[0] as Uint8Array);
  c.applyOp(ops[3] as Uint8Array);
  c.set("c", [[], {}, ""]);
  return [a.encodeState(), b.encodeState(), c.encodeState(), make("00000000000000d4").encodeState()];
}

describe("mutated payloads that the decoder accepts re-encode to the same bytes", () => {
  const all = samples();
  const runs = 20 * (fc.readConfigureGlobal().numRuns ?? 100);
  it("flips, overwrites, insertions and deletions, the checksum fixed up", () => {
    fc.assert(
      fc.property(fc.nat(all.length - 1), payloadEdits, (which, edits) => {
        const bytes = sealPayload(applyEdits(unsealPayload(all[which] as Uint8Array), edits));
        const m = fresh();
        let accepted = true;
        try {
          m.applyState(bytes);
        } catch (error) {
          accepted = false;
          expect(isConvergeError(error), String(error)).toBe(true);
          expect(m.encodeState()).toEqual(fresh().encodeState());
        }
        if (accepted) expect(hex(m.encodeState())).toBe(hex(bytes));
      }),
      { numRuns: runs },
    );
  }, 120_000);
});
