import { describe, expect, it } from "vitest";
import { type ConvergeErrorCode, isConvergeError, type ReplicatedMap } from "../src/index.ts";
import { caught, hex } from "./fixtures.ts";
import { A, B, type Case, fresh, loose } from "./misuse-kit.ts";

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
});
