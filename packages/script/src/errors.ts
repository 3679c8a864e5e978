import { ConvergeError } from "@converge/hlc";

/** Why a script call failed. */
export type ScriptErrorCode =
  | "SCRIPT_UNAVAILABLE"
  | "SCRIPT_LOAD"
  | "SCRIPT_THREW"
  | "SCRIPT_TIMEOUT"
  | "SCRIPT_OUT_OF_FUEL"
  | "SCRIPT_OUT_OF_MEMORY"
  | "SCRIPT_NON_JSON"
  | "SCRIPT_RESULT_TOO_LARGE"
  | "SCRIPT_NONDETERMINISM"
  | "SCRIPT_CRASHED"
  | "SCRIPT_ROW_MISMATCH"
  | "SCRIPT_APPLY_BUDGET";

/**
 * A resolver script failed: it could not be loaded (`SCRIPT_LOAD`; `SCRIPT_UNAVAILABLE` when its
 * engine cannot be loaded), threw (`SCRIPT_THREW`, also for thrown non-Errors and too deep a
 * recursion), ran out of fuel (`SCRIPT_OUT_OF_FUEL`, QuickJS: deterministic), past its time limit
 * (`SCRIPT_TIMEOUT`, isolated-vm: wall clock) or memory limit (`SCRIPT_OUT_OF_MEMORY`), returned
 * something that is not JSON (`SCRIPT_NON_JSON`) or is too large (`SCRIPT_RESULT_TOO_LARGE`),
 * reached for a clock, randomness or locale (`SCRIPT_NONDETERMINISM`), killed or hung the
 * supervised worker (`SCRIPT_CRASHED`), returned rows that do not match its keys
 * (`SCRIPT_ROW_MISMATCH`), or was not run because the apply's budget was spent
 * (`SCRIPT_APPLY_BUDGET`; the key is read again later). The host and the replica are unchanged.
 */
export class ScriptError extends ConvergeError {
  override readonly code: ScriptErrorCode;
  constructor(code: ScriptErrorCode, message: string) {
    super(code, message);
    this.code = code;
  }
}
