import { ConvergeError } from "@converge/hlc";

/** Codes of the rules package's errors (docs/ERRORS.md). */
export type RulesErrorCode = "RULES_SCRIPT_MISSING" | "RULES_SCRIPT_HASH";

/**
 * A rules manifest names a script it does not carry (`RULES_SCRIPT_MISSING`), or carries a
 * script whose source does not hash to the SHA-256 the rules name (`RULES_SCRIPT_HASH`: a
 * tampered or corrupted script). `sha256` is the hash the rules name. Nothing was built.
 */
export class RulesError extends ConvergeError {
  override readonly code: RulesErrorCode;
  /** The SHA-256 (hex) the rules name. */
  readonly sha256: string;
  constructor(code: RulesErrorCode, message: string, sha256: string) {
    super(code, message);
    this.code = code;
    this.sha256 = sha256;
  }
}

// Every RulesErrorCode joins the registry of converge codes (docs/ERRORS.md), carried by RulesError.
declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<RulesErrorCode, RulesError> {}
}
