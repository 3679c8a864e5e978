import { describe, expect, it } from "vitest";
import {
  defineResolver,
  isConvergeError,
  type RegisterOptions,
  type ResolverImpl,
  registerResolver,
  type Value,
  versionVector,
} from "../src/index.ts";
import { caught } from "./fixtures.ts";
import { type Case, loose } from "./misuse-kit.ts";

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

describe("misuse of @converge/core is a typed error at the call", () => {
  it.each(resolverCases)("$name → $code", ({ call, code, says }) => {
    const e = caught(call);
    expect(isConvergeError(e, code), String(e)).toBe(true);
    for (const part of says) expect((e as Error).message).toContain(part);
  });
});
