import { createClock } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { createReplicatedMap, isConvergeError, type Value, versionVector } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { caught, testLww } from "./fixtures.ts";
import { A, B, type Case, fresh, good, loose, lwwFactory } from "./misuse-kit.ts";

const optionCases: Case[] = [
  {
    name: "options missing",
    call: () => createReplicatedMap(loose(undefined)),
    code: "INVALID_CONFIG",
    says: ["undefined", "resolvers"],
  },
  {
    name: "resolvers missing",
    call: () => createReplicatedMap(loose({ resolver: { default: testLww } })),
    code: "INVALID_CONFIG",
    says: ["options.resolvers is required"],
  },
  {
    name: "resolvers not an object",
    call: () => createReplicatedMap(good({ resolvers: testLww.id })),
    code: "INVALID_CONFIG",
    says: ['the string "test-lww"', "{ default, keys? }"],
  },
  {
    name: "a factory instead of a resolver (lww instead of lww())",
    call: () => createReplicatedMap(good({ resolvers: { default: lwwFactory } })),
    code: "INVALID_CONFIG",
    says: ["resolvers.default", "the function lwwFactory itself", "lwwFactory()"],
  },
  {
    name: "a factory as a key rule",
    call: () => createReplicatedMap(good({ resolvers: { default: testLww, keys: { "mv:*": lwwFactory } } })),
    code: "INVALID_CONFIG",
    says: ['resolvers.keys["mv:*"]', "lwwFactory()"],
  },
  {
    name: "default missing",
    call: () => createReplicatedMap(good({ resolvers: { keys: { "a:*": testLww } } })),
    code: "INVALID_CONFIG",
    says: ["resolvers.default", "undefined"],
  },
  {
    name: "a resolver-like object without functions",
    call: () => createReplicatedMap(good({ resolvers: { default: { id: "x", version: 1 } } })),
    code: "INVALID_CONFIG",
    says: ["resolver x has no remove, merge"],
  },
  {
    name: "a pattern next to default instead of under keys",
    call: () => createReplicatedMap(good({ resolvers: { default: testLww, "stock:*": testLww } })),
    code: "INVALID_CONFIG",
    says: ['"stock:*"', "keys"],
  },
  {
    name: "keys an array",
    call: () => createReplicatedMap(good({ resolvers: { default: testLww, keys: [testLww] } })),
    code: "INVALID_CONFIG",
    says: ["an array of 1", "patterns"],
  },
  {
    name: "a star inside a pattern",
    call: () => createReplicatedMap(good({ resolvers: { default: testLww, keys: { "a*b": testLww } } })),
    code: "INVALID_CONFIG",
    says: ['"a*b"', "only allowed at the end"],
  },
  {
    name: "a pattern with a lone surrogate",
    call: () => createReplicatedMap(good({ resolvers: { default: testLww, keys: { "a\uD800": testLww } } })),
    code: "INVALID_CONFIG",
    says: ["lone surrogate"],
  },
  {
    name: "clock not a clock",
    call: () => createReplicatedMap(good({ clockOptions: undefined, clock: { node: A } })),
    code: "INVALID_CONFIG",
    says: ["clock must be a clock from createClock()", "no tick"],
  },
  {
    name: "clock and clockOptions together",
    call: () => createReplicatedMap(good({ clock: createClock({ node: A }) })),
    code: "INVALID_CONFIG",
    says: ["either clock or clockOptions"],
  },
  {
    name: "clockOptions not an object",
    call: () => createReplicatedMap(good({ clockOptions: A })),
    code: "INVALID_CONFIG",
    says: ["clockOptions must be an object", "the string"],
  },
  {
    name: "clockOptions with a bad now",
    call: () => createReplicatedMap(good({ clockOptions: { node: A, now: 5 } })),
    code: "INVALID_CONFIG",
    says: ["now must be a function", "number 5"],
  },
  {
    name: "limits not an object",
    call: () => createReplicatedMap(good({ limits: 1024 })),
    code: "INVALID_CONFIG",
    says: ["limits must be an object", "number 1024"],
  },
  {
    name: "an unknown limit",
    call: () => createReplicatedMap(good({ limits: { maxBytes: 10 } })),
    code: "INVALID_CONFIG",
    says: ['"maxBytes"', "maxPayloadBytes"],
  },
  {
    name: "a limit that is not a positive integer",
    call: () => createReplicatedMap(good({ limits: { maxKeyBytes: 0.5 } })),
    code: "INVALID_CONFIG",
    says: ["maxKeyBytes", "number 0.5", "positive integer"],
  },
  {
    name: "initial state of the wrong type",
    call: () => createReplicatedMap(good({ state: [1, 2, 3] })),
    code: "INVALID_CONFIG",
    says: ["an array of 3", "Uint8Array from encodeState()"],
  },
  {
    name: "compileKeyRules with a factory",
    call: () => compileKeyRules(loose({ default: lwwFactory })),
    code: "INVALID_CONFIG",
    says: ["lwwFactory()"],
  },
];

describe("misuse of @converge/core is a typed error at the call", () => {
  it.each(optionCases)("$name → $code", ({ call, code, says }) => {
    const e = caught(call);
    expect(isConvergeError(e, code), String(e)).toBe(true);
    for (const part of says) expect((e as Error).message).toContain(part);
  });

  it("well-formed options and arguments are still accepted", async () => {
    const m = createReplicatedMap({
      resolvers: { default: testLww },
      clock: createClock({ node: B, now: () => 2_000 }),
      limits: { maxKeyBytes: 64, maxPayloadBytes: Number.POSITIVE_INFINITY },
    });
    const source = fresh();
    m.set("x:1", 2 as Value);
    expect(m.apply(source.encodeState()).changed).toBe(1);
    expect((await m.applyAsync(source.encodeDelta(versionVector()), { chunkSize: 1 })).changed).toBe(0);
    expect(m.compact([source.versionVector()])).toBeGreaterThanOrEqual(0);
    const restored = createReplicatedMap({ resolvers: { default: testLww }, state: m.encodeState() });
    expect(restored.get("k")).toBe(1);
  });
});
