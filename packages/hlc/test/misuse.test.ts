import { describe, expect, it } from "vitest";
import {
  type Clock,
  type ClockOptions,
  type ConvergeErrorCode,
  createClock,
  encodeTimestamp,
  isConvergeError,
  type Timestamp,
  timestamp,
  timestampToHex,
} from "../src/index.ts";

const A = "00000000000000a1";

/** Loosens a static type so a test can pass what a JavaScript caller could. */
const loose = <T>(value: unknown): T => value as T;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

interface Case {
  readonly name: string;
  readonly call: () => unknown;
  readonly code: ConvergeErrorCode;
  /** Fragments the message must contain: what was passed and what was expected. */
  readonly says: readonly string[];
}

const clockCases: Case[] = [
  {
    name: "options not an object",
    call: () => createClock(loose(5)),
    code: "INVALID_CONFIG",
    says: ["number 5", "object"],
  },
  {
    name: "options null",
    call: () => createClock(loose(null)),
    code: "INVALID_CONFIG",
    says: ["null", "object"],
  },
  {
    name: "unknown option",
    call: () => createClock(loose({ nodeId: A })),
    code: "INVALID_CONFIG",
    says: ['"nodeId"', "node, now"],
  },
  {
    name: "node not a string",
    call: () => createClock(loose({ node: 0xa1 })),
    code: "INVALID_CONFIG",
    says: ["number 161", "16 lowercase hex digits"],
  },
  {
    name: "node malformed (a range, as before)",
    call: () => createClock({ node: "A1" }),
    code: "HLC_RANGE",
    says: ['"A1"', "16 lowercase hex digits"],
  },
  {
    name: "now not a function",
    call: () => createClock(loose({ now: 1_700_000_000_000 })),
    code: "INVALID_CONFIG",
    says: ["number 1700000000000", "a function"],
  },
  {
    name: "maxDrift a string",
    call: () => createClock(loose({ maxDrift: "5m" })),
    code: "INVALID_CONFIG",
    says: ['the string "5m"', "number of ms"],
  },
  {
    name: "maxDrift negative",
    call: () => createClock({ maxDrift: -1 }),
    code: "HLC_RANGE",
    says: ["-1", "non-negative"],
  },
  {
    name: "onBackwards not a function",
    call: () => createClock(loose({ onBackwards: true })),
    code: "INVALID_CONFIG",
    says: ["boolean true", "a function"],
  },
  {
    name: "restore not an object",
    call: () => createClock(loose({ restore: "state" })),
    code: "INVALID_CONFIG",
    says: ['the string "state"', "clock.state()"],
  },
];

const clock = (): Clock => createClock({ node: A, now: () => 1_000 });
const methodCases: Case[] = [
  {
    name: "observe of a hex string",
    call: () => clock().observe(loose("00000000000003e8000000000000000b")),
    code: "INVALID_VALUE",
    says: ["clock.observe", "a Timestamp", "the string"],
  },
  {
    name: "observe of undefined",
    call: () => clock().observe(loose(undefined)),
    code: "INVALID_VALUE",
    says: ["undefined", "a Timestamp"],
  },
  {
    name: "check of null",
    call: () => clock().check(loose(null)),
    code: "INVALID_VALUE",
    says: ["clock.check", "null"],
  },
  {
    name: "observeBatch of a non-iterable",
    call: () => clock().observeBatch(loose(42)),
    code: "INVALID_VALUE",
    says: ["number 42", "iterable"],
  },
  {
    name: "observeBatch with a non-timestamp inside",
    call: () => clock().observeBatch(loose([timestamp(1, 0, A), { wall: 1 }])),
    code: "INVALID_VALUE",
    says: ["clock.observeBatch", "an object"],
  },
  {
    name: "encodeTimestamp of a non-timestamp",
    call: () => encodeTimestamp(loose({})),
    code: "INVALID_VALUE",
    says: ["encodeTimestamp", "a Timestamp"],
  },
  {
    name: "encodeTimestamp into a non-array",
    call: () => encodeTimestamp(timestamp(1, 0, A), loose([0, 0])),
    code: "INVALID_VALUE",
    says: ["an array of 2", "Uint8Array"],
  },
  {
    name: "encodeTimestamp without room (was a RangeError)",
    call: () => encodeTimestamp(timestamp(1, 0, A), new Uint8Array(20), 8),
    code: "HLC_RANGE",
    says: ["offset 8", "of 20"],
  },
  {
    name: "timestampToHex of a plain object",
    call: () => timestampToHex(loose({ hex: "x" })),
    code: "INVALID_VALUE",
    says: ["timestampToHex", "a Timestamp"],
  },
];

describe("misuse of @converge/hlc is a typed error at the call", () => {
  it.each([...clockCases, ...methodCases])("$name → $code", ({ call, code, says }) => {
    const e = thrown(call);
    expect(isConvergeError(e, code), String(e)).toBe(true);
    for (const part of says) expect((e as Error).message).toContain(part);
  });

  it("a refused argument leaves the clock as it was", () => {
    const c = clock();
    c.tick();
    const before = c.state();
    expect(
      isConvergeError(
        thrown(() => c.observe(loose("x"))),
        "INVALID_VALUE",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        thrown(() => c.observeBatch(loose([c.last(), 5]))),
        "INVALID_VALUE",
      ),
    ).toBe(true);
    expect(c.state()).toEqual(before);
  });

  it("valid options and Timestamp-shaped values are still accepted", () => {
    const options: ClockOptions = {
      node: A,
      now: () => 5,
      maxDrift: Number.POSITIVE_INFINITY,
      onBackwards: () => {},
    };
    const c = createClock(options);
    const remote: Timestamp = timestamp(7, 1, "00000000000000b2");
    expect(c.observe(remote).wall).toBe(7);
    expect(timestampToHex(remote)).toBe(remote.toString());
    expect(encodeTimestamp(remote, new Uint8Array(20), 4).length).toBe(20);
  });
});
