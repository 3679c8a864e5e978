import { createClock } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import {
  type ConvergeErrorCode,
  createReplicatedMap,
  defineResolver,
  isConvergeError,
  type RegisterOptions,
  type ReplicatedMap,
  type ReplicatedMapOptions,
  type ResolverImpl,
  registerResolver,
  type Value,
  versionVector,
} from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { caught, hex, testLww } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

/** Loosens a static type so a test can pass what a JavaScript caller could. */
const loose = <T>(value: unknown): T => value as T;

/** A resolver factory, as the built-in ones are: passing it uncalled is the classic mistake. */
function lwwFactory(): typeof testLww {
  return testLww;
}

interface Case {
  readonly name: string;
  readonly call: () => unknown;
  readonly code: ConvergeErrorCode;
  /** Fragments the message must contain: what was passed and what was expected. */
  readonly says: readonly string[];
  /** A local write takes its clock tick before the resolver checks the value (see ERRORS.md). */
  readonly ticks?: true;
}

const good = (extra: Partial<Record<keyof ReplicatedMapOptions, unknown>>): ReplicatedMapOptions =>
  loose({ resolvers: { default: testLww }, clockOptions: { node: A }, ...extra });

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

const impl = {
  id: "r",
  version: 1,
  remove: (s: number) => s,
  merge: (a: number) => a,
  read: (s: number) => s,
  exists: () => true,
  conflicts: () => [],
  versions: () => {},
  compact: (s: number) => s,
  encode: () => {},
  decode: () => 0,
};

const resolverCases: Case[] = [
  {
    name: "defineResolver of a non-object",
    call: () => defineResolver(loose<ResolverImpl<unknown, unknown, unknown>>("lww")),
    code: "INVALID_CONFIG",
    says: ["defineResolver", 'the string "lww"'],
  },
  {
    name: "defineResolver without merge",
    call: () => defineResolver(loose<ResolverImpl<unknown, unknown, unknown>>({ ...impl, merge: undefined })),
    code: "INVALID_CONFIG",
    says: ["resolver r has no merge"],
  },
  {
    name: "defineResolver with a non-function set",
    call: () => defineResolver(loose<ResolverImpl<unknown, unknown, unknown>>({ ...impl, set: 1 })),
    code: "INVALID_CONFIG",
    says: ["set must be a function", "number 1"],
  },
  {
    name: "defineResolver with a number id",
    call: () => defineResolver(loose<ResolverImpl<unknown, unknown, unknown>>({ ...impl, id: 7 })),
    code: "INVALID_CONFIG",
    says: ["string id", "number 7"],
  },
  {
    name: "defineResolver with a string version",
    call: () => defineResolver(loose<ResolverImpl<unknown, unknown, unknown>>({ ...impl, version: "1" })),
    code: "INVALID_CONFIG",
    says: ["number version", 'the string "1"'],
  },
  {
    name: "registerResolver without resolve",
    call: () => registerResolver(loose<RegisterOptions<Value, unknown>>({ id: "x", version: 1 })),
    code: "INVALID_CONFIG",
    says: ["resolve must be a function", "undefined"],
  },
  {
    name: "registerResolver with a non-function accept",
    call: () =>
      registerResolver(
        loose<RegisterOptions<Value, unknown>>({ id: "x", version: 1, resolve: () => 0, accept: "json" }),
      ),
    code: "INVALID_CONFIG",
    says: ["accept must be a function", 'the string "json"'],
  },
  {
    name: "registerResolver of a non-object",
    call: () => registerResolver(loose<RegisterOptions<Value, unknown>>(null)),
    code: "INVALID_CONFIG",
    says: ["registerResolver", "null"],
  },
  {
    name: "versionVector of a number",
    call: () => versionVector(loose(3)),
    code: "INVALID_CONFIG",
    says: ["versionVector", "3"],
  },
];

function fresh(): ReplicatedMap {
  const m = createReplicatedMap({
    resolvers: { default: testLww },
    clockOptions: { node: A, now: () => 1_000 },
  });
  m.set("k", 1);
  return m;
}

const methodCases: ((m: ReplicatedMap) => Case)[] = [
  (m) => ({
    name: "set with a number key",
    call: () => m.set(loose(5), 1),
    code: "INVALID_KEY",
    says: ["number"],
  }),
  (m) => ({
    name: "set of undefined",
    call: () => m.set("k", undefined),
    code: "INVALID_VALUE",
    says: ["undefined"],
    ticks: true,
  }),
  (m) => ({
    name: "set of a function",
    call: () => m.set("k", () => 1),
    code: "INVALID_VALUE",
    says: ["function"],
    ticks: true,
  }),
  (m) => ({
    name: "get with an object key",
    call: () => m.get(loose({})),
    code: "INVALID_KEY",
    says: ["get", "an object"],
  }),
  (m) => ({
    name: "has with a number key",
    call: () => m.has(loose(1)),
    code: "INVALID_KEY",
    says: ["has", "number 1"],
  }),
  (m) => ({
    name: "conflicts with no key",
    call: () => m.conflicts(loose(undefined)),
    code: "INVALID_KEY",
    says: ["conflicts", "undefined"],
  }),
  (m) => ({
    name: "delete with a number key",
    call: () => m.delete(loose(3)),
    code: "INVALID_KEY",
    says: ["number"],
  }),
  (m) => ({
    name: "increment by 0.5",
    call: () => m.increment("c", 0.5),
    code: "INVALID_VALUE",
    says: ["increment", "number 0.5", "an integer"],
  }),
  (m) => ({
    name: "increment by NaN",
    call: () => m.increment("c", Number.NaN),
    code: "INVALID_VALUE",
    says: ["number NaN", "an integer"],
  }),
  (m) => ({
    name: "increment by a string",
    call: () => m.increment("c", loose("2")),
    code: "INVALID_VALUE",
    says: ['the string "2"', "an integer"],
  }),
  (m) => ({
    name: "increment by an integer beyond the safe range",
    call: () => m.increment("c", 2 ** 60),
    code: "COUNTER_OVERFLOW",
    says: ["increment", String(2 ** 60), "safe-integer range"],
  }),
  (m) => ({
    name: "decrement by Infinity",
    call: () => m.decrement("c", Number.POSITIVE_INFINITY),
    code: "INVALID_VALUE",
    says: ["decrement", "Infinity"],
  }),
  (m) => ({
    name: "subscribe with a non-function",
    call: () => m.subscribe(loose({ onChange: () => {} })),
    code: "INVALID_VALUE",
    says: ["subscribe", "an object", "a function"],
  }),
  (m) => ({
    name: "onOp with undefined",
    call: () => m.onOp(loose(undefined)),
    code: "INVALID_VALUE",
    says: ["onOp", "undefined", "a function"],
  }),
  (m) => ({
    name: "encodeDelta with a JSON version vector",
    call: () => m.encodeDelta(loose({ [A]: 1 })),
    code: "INVALID_VALUE",
    says: ["encodeDelta", "VersionVector", "versionVector(json)"],
  }),
  (m) => ({
    name: "encodeDelta with a Map",
    call: () => m.encodeDelta(loose(new Map([[A, 1]]))),
    code: "INVALID_VALUE",
    says: ["a Map", "VersionVector"],
  }),
  (m) => ({
    name: "compact with one vector instead of an array",
    call: () => m.compact(loose(m.versionVector())),
    code: "INVALID_VALUE",
    says: ["compact", "a VersionVector", "an array"],
  }),
  (m) => ({
    name: "compact with a JSON vector in the array",
    call: () => m.compact(loose([m.versionVector(), { [B]: 1 }])),
    code: "INVALID_VALUE",
    says: ["peers[1]", "versionVector(json)"],
  }),
  ...(["apply", "applyState", "applyDelta", "applyOp"] as const).map(
    (method) =>
      (m: ReplicatedMap): Case => ({
        name: `${method} of a base64 string`,
        call: () => m[method](loose("Q1YB")),
        code: "INVALID_VALUE",
        says: [method, 'the string "Q1YB"', "Uint8Array"],
      }),
  ),
  (m) => ({
    name: "apply of an ArrayBuffer",
    call: () => m.apply(loose(new ArrayBuffer(8))),
    code: "INVALID_VALUE",
    says: ["an ArrayBuffer", "Uint8Array"],
  }),
];

describe("misuse of @converge/core is a typed error at the call", () => {
  it.each([...optionCases, ...resolverCases])("$name → $code", ({ call, code, says }) => {
    const e = caught(call);
    expect(isConvergeError(e, code), String(e)).toBe(true);
    for (const part of says) expect((e as Error).message).toContain(part);
  });

  it.each(methodCases.map((make) => ({ name: make(fresh()).name, make })))(
    "map method: $name, and nothing changes",
    ({ make }) => {
      const m = fresh();
      const events: unknown[] = [];
      const ops: unknown[] = [];
      m.subscribe((e) => events.push(e));
      m.onOp((op) => ops.push(op));
      const before = hex(m.encodeState());
      const clock = JSON.stringify(m.clock.last());
      const { call, code, says, ticks } = make(m);
      const e = caught(call);
      expect(isConvergeError(e, code), String(e)).toBe(true);
      for (const part of says) expect((e as Error).message).toContain(part);
      expect(hex(m.encodeState())).toBe(before);
      if (ticks === undefined) expect(JSON.stringify(m.clock.last())).toBe(clock);
      expect(m.versionVector().get(A)).toBe(1);
      expect(events).toEqual([]);
      expect(ops).toEqual([]);
    },
  );

  it("applyAsync misuse rejects with a typed error and changes nothing", async () => {
    const m = fresh();
    const before = hex(m.encodeState());
    const payload = fresh().encodeState();
    const cases: [() => Promise<unknown>, ConvergeErrorCode, string][] = [
      [() => m.applyAsync(loose([1, 2])), "INVALID_VALUE", "an array of 2"],
      [() => m.applyAsync(payload, loose({ chunkSize: 0 })), "INVALID_CONFIG", "number 0"],
      [() => m.applyAsync(payload, loose({ chunkSize: "64" })), "INVALID_CONFIG", 'the string "64"'],
      [() => m.applyAsync(payload, loose({ yieldTo: 1 })), "INVALID_CONFIG", "yieldTo must be a function"],
      [() => m.applyAsync(payload, loose("fast")), "INVALID_CONFIG", "options must be an object"],
    ];
    for (const [call, code, says] of cases) {
      const result = call();
      expect(result).toBeInstanceOf(Promise);
      const e = await result.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isConvergeError(e, code), String(e)).toBe(true);
      expect((e as Error).message).toContain(says);
      expect(hex(m.encodeState())).toBe(before);
    }
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
