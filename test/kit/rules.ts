// everyResolver: key rules with one pattern per built-in resolver, so one map exercises all of them.
import type { KeyRulesConfig } from "@converge/core";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "@converge/resolvers";

/**
 * lww by default; `mv:*` multi-value, `max:*` / `min:*` max and min registers, `g:*` a grow-only
 * counter, `pn:*` a PN-counter. The committed vectors were encoded with exactly these rules (their
 * fingerprint is in every payload): changing them changes the vectors.
 */
export const everyResolver: KeyRulesConfig = {
  default: lww(),
  keys: {
    "mv:*": multiValue(),
    "max:*": maxRegister(),
    "min:*": minRegister(),
    "g:*": gcounter(),
    "pn:*": pncounter(),
  },
};
