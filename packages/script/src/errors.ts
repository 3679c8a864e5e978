import { ConvergeError } from "@converge/hlc";

/** Why a script call failed. */
export type ScriptErrorCode =
  | "SCRIPT_UNAVAILABLE"
  | "SCRIPT_LOAD"
  | "SCRIPT_THREW"
  | "SCRIPT_TIMEOUT"
  | "SCRIPT_OUT_OF_MEMORY"
  | "SCRIPT_NON_JSON"
  | "SCRIPT_RESULT_TOO_LARGE"
  | "SCRIPT_NONDETERMINISM";

/**
 * A resolver script failed: it could not be loaded (`SCRIPT_LOAD`; `SCRIPT_UNAVAILABLE` when
 * isolated-vm is not installed), threw (`SCRIPT_THREW`, also for thrown non-Errors), ran past its
 * CPU-time limit (`SCRIPT_TIMEOUT`) or memory limit (`SCRIPT_OUT_OF_MEMORY`), returned something
 * that is not JSON (`SCRIPT_NON_JSON`) or is too large (`SCRIPT_RESULT_TOO_LARGE`), or reached for
 * a clock, randomness or locale (`SCRIPT_NONDETERMINISM`). The host and the replica are unchanged.
 */
export class ScriptError extends ConvergeError {
  override readonly code: ScriptErrorCode;
  constructor(code: ScriptErrorCode, message: string) {
    super(code, message);
    this.code = code;
  }
}

// Every ScriptErrorCode joins the registry of converge codes (docs/ERRORS.md), carried by ScriptError.
declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<ScriptErrorCode, ScriptError> {}
}
