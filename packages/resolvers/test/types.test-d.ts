import type { Resolver } from "@converge/core";
import { describe, expectTypeOf, it } from "vitest";
import { lww, multiValue, pncounter } from "../src/index.ts";

describe("resolver types", () => {
  it("infer their value types", () => {
    expectTypeOf(lww<string>()).toEqualTypeOf<Resolver<string, string>>();
    expectTypeOf(multiValue<number>()).toEqualTypeOf<Resolver<number, readonly number[]>>();
    expectTypeOf(pncounter()).toEqualTypeOf<Resolver<number, number>>();
  });

  it("refuse a resolver of another value type", () => {
    expectTypeOf(lww<number>()).not.toExtend<Resolver<string, string>>();
  });
});
