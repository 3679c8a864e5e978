import { type Clock, createClock } from "@converge/hlc";
import fc from "fast-check";
import {
  createReplicatedMap,
  type KeyRulesConfig,
  type ReplicatedMap,
  registerResolver,
  type Value,
} from "../src/index.ts";

/** A last-writer-wins register built on the core register machinery (core tests cannot depend on @converge/resolvers). */
export const testLww: ReturnType<typeof registerResolver<Value, Value>> = registerResolver<Value, Value>({
  id: "test-lww",
  version: 1,
  resolve: (values) => (values[0] as { value: Value }).value,
});

/** All concurrent values, newest first. */
export const testMv: ReturnType<typeof registerResolver<Value, readonly Value[]>> = registerResolver<
  Value,
  readonly Value[]
>({
  id: "test-mv",
  version: 1,
  resolve: (values) => values.map((v) => v.value),
});

export const rules: KeyRulesConfig = { default: testLww, keys: { "mv:*": testMv } };

/** A manual physical clock shared by the replicas of a test. */
export interface TestTime {
  now: number;
}

export function replica(
  node: string,
  time: TestTime,
  config: KeyRulesConfig = rules,
  clock?: Clock,
): ReplicatedMap {
  return createReplicatedMap({
    resolvers: config,
    clock: clock ?? createClock({ node, now: () => time.now }),
  });
}

export { caught } from "../../../test/kit/caught.ts";
export { hex } from "../../../test/kit/hex.ts";

/** Any storable value. */
export const valueArb: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string(),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("v"), { maxKeys: 4 }),
  ),
})).v;
