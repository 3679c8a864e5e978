// ConvergeError, its code registry, and the errors of @converge/hlc (one file: the registry names these classes).

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

/** A timestamp field is outside its range (wall 48 bits, counter 16 bits, node 64 bits). Code `HLC_RANGE`. */
export class TimestampRangeError extends ConvergeError {
  constructor(message: string) {
    super("HLC_RANGE", message);
  }
}

/** Untrusted bytes or text are not a valid encoded timestamp. Code `HLC_DECODE`. */
export class TimestampDecodeError extends ConvergeError {
  constructor(message: string) {
    super("HLC_DECODE", message);
  }
}

/**
 * A remote timestamp is further ahead of local physical time than `maxDrift` allows. Code
 * `HLC_DRIFT`. The clock that raised it is left exactly as it was.
 */
export class ClockDriftError extends ConvergeError {
  /** Wall time (ms) of the rejected remote timestamp. */
  readonly remoteWall: number;
  /** Local physical time (ms) when it was checked. */
  readonly physical: number;
  /** How far ahead of local physical time the remote clock is, in ms. */
  readonly aheadBy: number;
  /** The configured limit, in ms. */
  readonly maxDrift: number;

  constructor(remoteWall: number, physical: number, maxDrift: number) {
    const aheadBy = remoteWall - physical;
    super(
      "HLC_DRIFT",
      `remote clock is ahead of local physical time by ${aheadBy} ms (max drift ${maxDrift} ms); timestamp rejected`,
    );
    this.remoteWall = remoteWall;
    this.physical = physical;
    this.aheadBy = aheadBy;
    this.maxDrift = maxDrift;
  }
}

/** The clock cannot advance: wall time would pass 2^48 - 1 ms. Code `HLC_OVERFLOW`. */
export class ClockOverflowError extends ConvergeError {
  constructor(message: string) {
    super("HLC_OVERFLOW", message);
  }
}

/** The injected physical time source returned something that is not a valid ms time. Code `HLC_PHYSICAL_TIME`. */
export class PhysicalTimeError extends ConvergeError {
  constructor(value: unknown) {
    super(
      "HLC_PHYSICAL_TIME",
      `physical time source returned ${String(value)}, expected an integer in [0, 2^48)`,
    );
  }
}

/**
 * A configuration is invalid: an options object, a factory's argument, a resolver or key rule.
 * Code `INVALID_CONFIG`. Thrown by the call given the configuration; nothing was created or changed.
 */
export class ConfigError extends ConvergeError {
  constructor(message: string) {
    super("INVALID_CONFIG", message);
  }
}

/**
 * An argument has the wrong type (a listener that is not a function, a payload that is not a
 * `Uint8Array`, a non-integer amount…) or a value is not storable (not JSON-compatible, not finite,
 * too deep or too large). Code `INVALID_VALUE`. Nothing changed.
 */
export class InvalidValueError extends ConvergeError {
  constructor(message: string) {
    super("INVALID_VALUE", message);
  }
}

/**
 * How converge's error messages name a misused argument: its type, and the value when it is short
 * (`the string "x"`, `number 3`, `an array of 2`, `a Map`, `the function lww`). Every converge
 * package uses it; a resolver or adapter checking its own options can too, to read the same.
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "function":
      return value.name === "" ? "a function" : `the function ${value.name}`;
    case "string":
      return value.length > 40
        ? `a string of ${value.length} characters`
        : `the string ${JSON.stringify(value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}${typeof value === "bigint" ? "n" : ""}`;
    case "symbol":
      return "a symbol";
    default: {
      if (Array.isArray(value)) return `an array of ${value.length}`;
      const proto: unknown = Object.getPrototypeOf(value);
      const ctor = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      if (typeof ctor !== "string" || ctor === "" || ctor === "Object") return "an object";
      return `${/^[AEIOU]/.test(ctor) ? "an" : "a"} ${ctor}`;
    }
  }
}
