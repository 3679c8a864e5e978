import { DecodeError, ResolverMismatchError } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import { isSyncErrorCode, SyncError } from "../errors.ts";

/**
 * The typed error a session reports for a `refuse` or `reject` from the server: the sync
 * package's own codes as {@link SyncError}, `CONFIG_MISMATCH` as core's `ResolverMismatchError`
 * with both fingerprints, `FORMAT_VERSION` as core's `DecodeError`, and any other core code (the
 * server's replica refused a payload) as `PAYLOAD_REFUSED` whose `cause` holds that code.
 */
export function refusalError(
  code: string,
  message: string,
  detail: { readonly keys?: readonly string[]; readonly expected?: string; readonly received?: string } = {},
): ConvergeError {
  if (code === "CONFIG_MISMATCH") {
    const expected = detail.expected ?? "";
    const received = detail.received ?? "";
    return new ResolverMismatchError("CONFIG_MISMATCH", message, {
      expected,
      received,
      differences: [{ kind: "fingerprint", expected, received }],
    });
  }
  if (code === "FORMAT_VERSION") return new DecodeError("FORMAT_VERSION", message, 0);
  if (isSyncErrorCode(code))
    return new SyncError(code, message, detail.keys === undefined ? {} : { keys: detail.keys });
  return new SyncError("PAYLOAD_REFUSED", `${code}: ${message}`, { cause: { code } });
}

/** What `authenticate` may refuse with, keeping its code; anything else is `UNAUTHORIZED`. */
export const isRefusal = (code: string): code is "UNAUTHORIZED" | "FORBIDDEN" =>
  code === "UNAUTHORIZED" || code === "FORBIDDEN";
