import type { KeyRulesConfig } from "@converge/core";
import { maxRegister, multiValue, pncounter } from "@converge/resolvers";
import { everyResolver } from "../kit/rules.ts";

/** Key rules covering every built-in resolver; loaded by worker threads in the network simulator. */
export const rules: KeyRulesConfig = {
  default: everyResolver.default,
  keys: {
    ...everyResolver.keys,
    "c:*": pncounter(),
    "m:*": multiValue(),
    "x:*": maxRegister(),
  },
};
