import { toValue, type Value } from "@converge/core";
import { ScriptError } from "./errors.ts";
import type { JsonValue } from "./types.ts";

/**
 * Checks that a value can be given to a script: JSON data only (no byte arrays, no -0).
 * @throws ScriptError `SCRIPT_NON_JSON`; core's `INVALID_VALUE` for what is no value at all.
 */
export function toJsonValue(input: unknown): JsonValue {
  const v = toValue(input);
  const check = (x: Value): void => {
    if (x instanceof Uint8Array)
      throw new ScriptError("SCRIPT_NON_JSON", "byte arrays cannot be given to resolver scripts");
    if (Object.is(x, -0)) throw new ScriptError("SCRIPT_NON_JSON", "-0 cannot be given to resolver scripts");
    if (Array.isArray(x)) for (const y of x) check(y);
    else if (typeof x === "object" && x !== null) for (const y of Object.values(x)) check(y as Value);
  };
  check(v);
  return v as JsonValue;
}
