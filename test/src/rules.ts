import type { KeyRulesConfig } from "@converge/core";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "@converge/resolvers";

/** Key rules covering every built-in resolver; loaded by worker threads in the network simulator. */
export const rules: KeyRulesConfig = {
  default: lww(),
  keys: {
    "mv:*": multiValue(),
    "max:*": maxRegister(),
    "min:*": minRegister(),
    "g:*": gcounter(),
    "pn:*": pncounter(),
    "c:*": pncounter(),
    "m:*": multiValue(),
    "x:*": maxRegister(),
  },
};
