import type {
  ClockDriftError,
  ClockOverflowError,
  ConfigError,
  InvalidValueError,
  PhysicalTimeError,
  TimestampDecodeError,
  TimestampRangeError,
} from "./errors.ts";

/** Marker carried by every converge error, shared across package copies and realms. */
export const CONVERGE_ERROR: symbol = Symbol.for("@converge/error");

/**
 * Every error code converge throws, mapped to the class that carries it. Each package adds its own
 * codes to this interface (TypeScript declaration merging: `declare module "@converge/hlc"`), so
 * {@link ConvergeErrorCode} is the union of the codes of every converge package in the program.
 * docs/ERRORS.md lists them all.
 */
export interface ConvergeErrorCodes {
  /** A timestamp field, node id or clock option is outside its range. */
  HLC_RANGE: TimestampRangeError;
  /** Bytes or text are not a valid encoded timestamp. */
  HLC_DECODE: TimestampDecodeError;
  /** A remote timestamp is further ahead of physical time than `maxDrift` allows. */
  HLC_DRIFT: ClockDriftError;
  /** The clock cannot advance past 2^48 - 1 ms. */
  HLC_OVERFLOW: ClockOverflowError;
  /** The injected physical time source returned something that is not a valid ms time. */
  HLC_PHYSICAL_TIME: PhysicalTimeError;
  /** A configuration (options object, factory argument, resolver) is malformed. */
  INVALID_CONFIG: ConfigError;
  /** An argument or value has the wrong type or is not storable. */
  INVALID_VALUE: InvalidValueError;
}

/** The stable code of a converge error: a key of {@link ConvergeErrorCodes}. */
export type ConvergeErrorCode = keyof ConvergeErrorCodes & string;

/**
 * Base class of every error thrown by converge packages.
 *
 * Recognise errors with {@link isConvergeError} (or by their `code`), never with `instanceof`:
 * two copies of a package, or a value that crossed a realm or isolate, do not share classes, but
 * they share the `Symbol.for("@converge/error")` marker and the stable `code` string.
 */
export class ConvergeError extends Error {
  /** Stable, documented error code such as `"HLC_DRIFT"` (see docs/ERRORS.md). */
  readonly code: ConvergeErrorCode;

  constructor(code: ConvergeErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Non-enumerable marker, so it survives structured logging without cluttering it.
    Object.defineProperty(this, CONVERGE_ERROR, { value: true });
    this.name = new.target.name;
  }
}

/**
 * True when `value` is a converge error (optionally with the given `code`), whichever copy of the
 * package or realm created it. With a code, narrows to the class that carries that code.
 *
 * @example
 * try { clock.observe(remote) } catch (e) { if (isConvergeError(e, "HLC_DRIFT")) log(e.aheadBy) }
 */
export function isConvergeError(value: unknown): value is ConvergeError;
export function isConvergeError<C extends ConvergeErrorCode>(
  value: unknown,
  code: C | undefined,
): value is ConvergeErrorCodes[C] & { readonly code: C };
export function isConvergeError(value: unknown, code?: ConvergeErrorCode): boolean {
  if (typeof value !== "object" || value === null) return false;
  const marked = (value as Record<symbol, unknown>)[CONVERGE_ERROR] === true;
  if (!marked) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
