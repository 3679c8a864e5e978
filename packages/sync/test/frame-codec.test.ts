import { readFileSync, writeFileSync } from "node:fs";
import { isConvergeError, type Value, versionVector } from "@converge/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeFrames,
  decodeMessage,
  decodeVersionVector,
  encodeMessage,
  encodeVersionVector,
  type Message,
} from "../src/index.ts";
import { hex } from "./fixtures.ts";

const file = new URL("./frame-vectors.json", import.meta.url);
const A = "00000000000000a1";
const B = "00000000000000b2";
const FP = "0123456789abcdef";

/** One sample of every message type (and of every optional field both ways). */
const samples: Record<string, Message> = {
  hello: {
    type: "hello",
    protocol: 1,
    format: 2,
    document: "shop",
    replica: A,
    fingerprint: FP,
    vector: versionVector({ [A]: 3, [B]: 1 }),
    credentials: "token-1",
  },
  helloAnonymousNoRules: {
    type: "hello",
    protocol: 1,
    format: 2,
    document: "shöp",
    replica: B,
    fingerprint: null,
    vector: versionVector(),
    credentials: null,
  },
  welcome: {
    type: "welcome",
    fingerprint: FP,
    manifest: null,
    vector: versionVector({ [A]: 7 }),
    access: { mode: "write" },
    client: "1",
  },
  welcomeManifest: {
    type: "welcome",
    fingerprint: FP,
    manifest: {
      fingerprint: FP,
      rules: { default: { resolver: "lww" }, keys: { "stock:*": { resolver: "pncounter" } } },
      scripts: { ab12: "export default {}" },
    },
    vector: versionVector(),
    access: { mode: "write", keys: ["todo:*", "title"] },
    client: "22",
  },
  welcomeRead: {
    type: "welcome",
    fingerprint: FP,
    manifest: null,
    vector: versionVector(),
    access: { mode: "read" },
    client: "3",
  },
  refuse: { type: "refuse", code: "UNAUTHORIZED", message: "bad token" },
  refuseMismatch: {
    type: "refuse",
    code: "CONFIG_MISMATCH",
    message: "rules differ",
    expected: FP,
    received: "fedcba9876543210",
  },
  payload: { type: "payload", payload: new Uint8Array([0x43, 0x56, 2, 3, 9]) },
  chunk: { type: "chunk", id: 5, last: false, bytes: new Uint8Array([1, 2, 3]) },
  chunkLast: { type: "chunk", id: 5, last: true, bytes: new Uint8Array([]) },
  ack: { type: "ack", vector: versionVector({ [B]: 300 }) },
  reject: { type: "reject", code: "FORBIDDEN", message: "keys outside", keys: ["price:apple", "price:pear"] },
  presence: {
    type: "presence",
    client: "1",
    state: { name: "ada", cursor: [1, 2.5], editing: true, bytes: new Uint8Array([7]) },
  },
  presenceGone: { type: "presence", client: "1", state: null },
  ping: { type: "ping", nonce: 42 },
  pong: { type: "pong", nonce: 42 },
  reset: { type: "reset", floor: versionVector({ [A]: 12, [B]: 4 }) },
  resetEmpty: { type: "reset", floor: versionVector() },
  compacted: { type: "compacted", floor: versionVector({ [A]: 9 }) },
  batch: {
    type: "batch",
    frames: [
      encodeMessage({ type: "ack", vector: versionVector({ [B]: 301 }) }),
      encodeMessage({ type: "payload", payload: new Uint8Array([0x43, 0x56, 2, 4, 1]) }),
      encodeMessage({ type: "ping", nonce: 7 }),
    ],
  },
};

/** Messages compared through JSON (version vectors through their toJSON, bytes as arrays). */
const plain = (m: Message): unknown =>
  JSON.parse(JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? { bytes: [...v] } : v)));

describe("frame vectors (regenerate with CONVERGE_WRITE_VECTORS=1)", () => {
  const produced = Object.fromEntries(Object.entries(samples).map(([k, m]) => [k, hex(encodeMessage(m))]));
  if (process.env["CONVERGE_WRITE_VECTORS"] === "1")
    writeFileSync(file, `${JSON.stringify(produced, null, 2)}\n`);
  const committed = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;

  it.each(Object.keys(samples))("%s encodes to the committed bytes and decodes back", (name) => {
    expect(produced[name]).toBe(committed[name]);
    const decoded = decodeMessage(new Uint8Array(Buffer.from(committed[name] as string, "hex")));
    expect(plain(decoded)).toEqual(plain(samples[name] as Message));
  });

  it("every message type has a vector", () => {
    const types = new Set(Object.values(samples).map((m) => m.type));
    expect([...types].sort()).toEqual(
      [
        "ack",
        "batch",
        "chunk",
        "compacted",
        "hello",
        "ping",
        "pong",
        "presence",
        "payload",
        "refuse",
        "reject",
        "reset",
        "welcome",
      ].sort(),
    );
  });
});

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return "none";
  } catch (e) {
    return isConvergeError(e) ? e.code : `foreign: ${String(e)}`;
  }
};

describe("decodeMessage refuses bad frames with FRAME_MALFORMED only", () => {
  const frames = Object.values(samples).map((m) => encodeMessage(m));

  it("every truncation, and trailing garbage, of every sample", () => {
    for (const f of frames) {
      for (let n = 0; n < f.length; n++)
        expect(codeOf(() => decodeMessage(f.subarray(0, n)))).toBe("FRAME_MALFORMED");
      const longer = new Uint8Array(f.length + 1);
      longer.set(f);
      expect(codeOf(() => decodeMessage(longer))).toBe("FRAME_MALFORMED");
    }
  });

  it("an unknown tag, an unknown refusal code, an oversized frame, a non-array", () => {
    expect(codeOf(() => decodeMessage(new Uint8Array([0])))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeMessage(new Uint8Array([99, 1])))).toBe("FRAME_MALFORMED");
    const refuse = encodeMessage({ type: "refuse", code: "UNAUTHORIZED", message: "" });
    refuse[2] = 0x56; // "UNAUTHORIZED" → "VNAUTHORIZED"
    expect(codeOf(() => decodeMessage(refuse))).toBe("FRAME_MALFORMED");
    const big = encodeMessage({ type: "payload", payload: new Uint8Array(100) });
    expect(codeOf(() => decodeMessage(big, { maxFrameBytes: 50 }))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeMessage("x" as unknown as Uint8Array))).toBe("FRAME_MALFORMED");
  });

  it("fuzz: random bytes and bit flips of valid frames never throw anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const code = codeOf(() => decodeMessage(bytes));
        return code === "none" || code === "FRAME_MALFORMED";
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        (frame, flips) => {
          const f = frame.slice();
          for (const bit of flips)
            f[(bit >> 3) % f.length] = (f[(bit >> 3) % f.length] as number) ^ (1 << (bit & 7));
          const code = codeOf(() => decodeMessage(f));
          return code === "none" || code === "FRAME_MALFORMED";
        },
      ),
    );
  });
});

const replica = fc.stringMatching(/^[0-9a-f]{16}$/);
const vector = fc
  .dictionary(replica, fc.integer({ min: 1, max: 2 ** 40 }), { maxKeys: 4 })
  .map((r) => versionVector(r));
const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.uint8Array({ maxLength: 4 }),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(
      fc.string().filter((k) => k !== "__proto__"),
      tie("v"),
      { maxKeys: 3 },
    ),
  ),
})).v;
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant("hello" as const),
    protocol: fc.nat(),
    format: fc.nat(),
    document: fc.string(),
    replica,
    fingerprint: fc.option(replica, { nil: null }),
    vector,
    credentials: fc.option(fc.string(), { nil: null }),
  }),
  fc.record({
    type: fc.constant("welcome" as const),
    fingerprint: replica,
    manifest: fc.constant(null),
    vector,
    access: fc.oneof(
      fc.constant({ mode: "none" as const }),
      fc.constant({ mode: "read" as const }),
      fc.constant({ mode: "write" as const }),
      fc.array(fc.string()).map((keys) => ({ mode: "write" as const, keys })),
    ),
    client: fc.string(),
  }),
  fc.record({ type: fc.constant("payload" as const), payload: fc.uint8Array() }),
  fc.record({
    type: fc.constant("chunk" as const),
    id: fc.nat(),
    last: fc.boolean(),
    bytes: fc.uint8Array(),
  }),
  fc.record({ type: fc.constant("ack" as const), vector }),
  fc.record({
    type: fc.constant("reject" as const),
    code: fc.string(),
    message: fc.string(),
    keys: fc.array(fc.string()),
  }),
  fc.record({
    type: fc.constant("presence" as const),
    client: fc.string(),
    state: fc.option(value, { nil: null }),
  }),
  fc.record({ type: fc.constant("ping" as const), nonce: fc.nat() }),
);

describe("batch frames", () => {
  const ack = encodeMessage({ type: "ack", vector: versionVector({ [B]: 1 }) });
  const ping = encodeMessage({ type: "ping", nonce: 3 });
  const batch = (frames: readonly Uint8Array[]): Uint8Array => {
    // Built by hand: the encoder refuses what the decoder must refuse too.
    const parts = [13, frames.length, ...frames.flatMap((f) => [f.length, ...f])];
    return new Uint8Array(parts);
  };

  it("decodeFrames unpacks a batch in order and passes any other frame alone", () => {
    expect(decodeFrames(batch([ack, ping])).map((m) => m.type)).toEqual(["ack", "ping"]);
    expect(decodeFrames(ping)).toEqual([{ type: "ping", nonce: 3 }]);
  });

  it("refuses a batch of fewer than two frames, an empty frame and a nested batch", () => {
    expect(codeOf(() => decodeMessage(batch([ack])))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeMessage(batch([])))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeMessage(batch([ack, new Uint8Array(0)])))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeMessage(batch([ack, batch([ack, ping])])))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => encodeMessage({ type: "batch", frames: [ack] }))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => encodeMessage({ type: "batch", frames: [ack, batch([ack, ping])] }))).toBe(
      "FRAME_MALFORMED",
    );
  });

  it("decodes all of a batch before returning: one bad frame inside refuses the whole", () => {
    const bad = new Uint8Array([6, 1]); // an ack whose vector is cut short
    expect(codeOf(() => decodeFrames(batch([ack, ping, bad])))).toBe("FRAME_MALFORMED");
  });
});

describe("round trip", () => {
  it("decode(encode(m)) equals m, and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const back = decodeMessage(bytes, { maxFrameBytes: 1 << 24 });
        expect(plain(back)).toEqual(plain(m));
        expect(hex(encodeMessage(back))).toBe(hex(bytes));
      }),
    );
  });

  it("version vectors round-trip; damaged ones are FRAME_MALFORMED", () => {
    fc.assert(
      fc.property(vector, (v) => {
        const bytes = encodeVersionVector(v);
        expect(decodeVersionVector(bytes).toJSON()).toEqual(v.toJSON());
        if (bytes.length > 1)
          expect(codeOf(() => decodeVersionVector(bytes.subarray(0, bytes.length - 1)))).toBe(
            "FRAME_MALFORMED",
          );
      }),
    );
  });
});
