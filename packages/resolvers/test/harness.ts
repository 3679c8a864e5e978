/** What the resolvers' tests share: the every-resolver rules, their keys and values, ids and hex. */
import type { KeyRulesConfig, Value } from "@converge/core";
import fc from "fast-check";
import { hex } from "../../../test/kit/hex.ts";
import { REPLICA_IDS } from "../../../test/kit/replica-ids.ts";
import { everyResolver } from "../../../test/kit/rules.ts";

/** One key rule per built-in resolver, so a single map exercises all of them. */
export const allResolvers: KeyRulesConfig = everyResolver;

export { REPLICA_IDS };

/** Keys of a map holding every built-in: one per register pattern, the default's, and counters. */
export const MIXED_KEYS: readonly string[] = [
  "lww:x",
  "mv:x",
  "max:x",
  "min:x",
  "plain",
  "g:x",
  "pn:x",
  "pn:y",
];

/** Small JSON values that collide often: ties and equal values are exercised. */
export const smallValue: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("a", "b", "c"),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);

export { hex };
