/** Marker carried by every converge error, shared across package copies and realms. */
export const CONVERGE_ERROR: symbol = Symbol.for("@converge/error");

/**
 * Base class of every error thrown by converge packages.
 *
 * Recognise errors with {@link isConvergeError} (or by their `code`), never with `instanceof`:
 * two copies of a package, or a value that crossed a realm or isolate, do not share classes, but
 * they share the `Symbol.for("@converge/error")` marker and the stable `code` string.
 */
export class ConvergeError extends Error {
  /** Stable, documented error code such as `"HLC_DRIFT"`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Non-enumerable marker, so it survives structured logging without cluttering it.
    Object.defineProperty(this, CONVERGE_ERROR, { value: true });
    this.name = new.target.name;
  }
}

/**
 * True when `value` is a converge error (optionally with the given `code`), whichever copy of the
 * package or realm created it.
 *
 * @example
 * try { clock.observe(remote) } catch (e) { if (isConvergeError(e, "HLC_DRIFT")) reject(remote) }
 */
export function isConvergeError(value: unknown, code?: string): value is ConvergeError {
  if (typeof value !== "object" || value === null) return false;
  const marked = (value as Record<symbol, unknown>)[CONVERGE_ERROR] === true;
  if (!marked) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
