import { ConvergeError } from "@converge/hlc";
import type { RefusalCode } from "./messages.ts";

/** Codes of the sync package's errors (docs/ERRORS.md). */
export type SyncErrorCode =
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "UPGRADE_REQUIRED"
  | "UNKNOWN_DOCUMENT"
  | "RATE_LIMITED"
  | "FRAME_TOO_LARGE"
  | "FRAME_MALFORMED"
  | "PAYLOAD_REFUSED"
  | "SESSION_CLOSED"
  | "STORE_CORRUPT"
  | "STORE_CLOSED"
  | "HUB_UNAVAILABLE";

/**
 * A sync failure: the server refused the handshake (`UNAUTHORIZED`: bad, missing or expired
 * credentials; `FORBIDDEN`: no access to the document, or a write outside the principal's access;
 * `UPGRADE_REQUIRED`: another protocol version; `UNKNOWN_DOCUMENT`), a limit closed the
 * connection (`RATE_LIMITED`, `FRAME_TOO_LARGE`), a frame could not be decoded
 * (`FRAME_MALFORMED`), the server refused a payload core rejected (`PAYLOAD_REFUSED`, with the
 * core code in `cause`), the session was closed (`SESSION_CLOSED`), or a store failed its
 * integrity check (`STORE_CORRUPT`) or was used after close (`STORE_CLOSED`), or a scale-out hub
 * could not reach its peers (`HUB_UNAVAILABLE`; the write is durable locally). Handshake refusals
 * about rules and formats reuse core's `CONFIG_MISMATCH` and `FORMAT_VERSION`.
 */
export class SyncError extends ConvergeError {
  override readonly code: SyncErrorCode;
  /** For refusals about keys: the keys that were not allowed. */
  readonly keys: readonly string[];
  constructor(
    code: SyncErrorCode,
    message: string,
    options?: { readonly cause?: unknown; readonly keys?: readonly string[] },
  ) {
    super(code, message, options);
    this.code = code;
    this.keys = Object.freeze([...(options?.keys ?? [])]);
  }
}

/** Whether a refusal code is one of the sync package's own (else it is core's). */
export function isSyncErrorCode(code: RefusalCode | string): code is SyncErrorCode {
  return SYNC_CODES.has(code);
}

const SYNC_CODES: ReadonlySet<string> = new Set<SyncErrorCode>([
  "UNAUTHORIZED",
  "FORBIDDEN",
  "UPGRADE_REQUIRED",
  "UNKNOWN_DOCUMENT",
  "RATE_LIMITED",
  "FRAME_TOO_LARGE",
  "FRAME_MALFORMED",
  "PAYLOAD_REFUSED",
  "SESSION_CLOSED",
  "STORE_CORRUPT",
  "STORE_CLOSED",
  "HUB_UNAVAILABLE",
]);

// Every SyncErrorCode joins the registry of converge codes (docs/ERRORS.md), carried by SyncError.
declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<SyncErrorCode, SyncError> {}
}
