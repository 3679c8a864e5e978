import { ConvergeError } from "@converge/hlc";

/**
 * A payload (state, delta or op) is malformed, truncated, oversized, corrupted (its checksum does
 * not match) or of an unknown format version. Codes: `DECODE_MALFORMED`, `DECODE_TRUNCATED`,
 * `DECODE_TOO_LARGE`, `DECODE_CHECKSUM` (offset: the stored checksum), `FORMAT_VERSION`.
 * The replica that refused it is unchanged.
 */
export class DecodeError extends ConvergeError {
  /** Byte offset at which decoding stopped. */
  readonly offset: number;
  constructor(
    code: "DECODE_MALFORMED" | "DECODE_TRUNCATED" | "DECODE_TOO_LARGE" | "DECODE_CHECKSUM" | "FORMAT_VERSION",
    message: string,
    offset: number,
  ) {
    super(code, `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/**
 * Data was produced under a resolver this replica does not have (`UNKNOWN_RESOLVER`), under
 * another version of it (`RESOLVER_VERSION`), or the two replicas map keys to resolvers
 * differently (`CONFIG_MISMATCH`, `RESOLVER_MISMATCH`). Nothing was merged.
 */
export class ResolverMismatchError extends ConvergeError {
  constructor(
    code: "UNKNOWN_RESOLVER" | "RESOLVER_VERSION" | "CONFIG_MISMATCH" | "RESOLVER_MISMATCH",
    message: string,
  ) {
    super(code, message);
  }
}

/** A value is not storable (not JSON-compatible, not finite, too deep or too large). Code `INVALID_VALUE`. */
export class InvalidValueError extends ConvergeError {
  constructor(message: string) {
    super("INVALID_VALUE", message);
  }
}

/** A key is not a well-formed string within the size limit. Code `INVALID_KEY`. */
export class InvalidKeyError extends ConvergeError {
  constructor(message: string) {
    super("INVALID_KEY", message);
  }
}

/** The key's resolver does not support this operation (e.g. `increment` on an lww key). Code `UNSUPPORTED_OPERATION`. */
export class UnsupportedOperationError extends ConvergeError {
  constructor(message: string) {
    super("UNSUPPORTED_OPERATION", message);
  }
}

/** A counter would leave the safe-integer range. Code `COUNTER_OVERFLOW`. Nothing changed. */
export class CounterOverflowError extends ConvergeError {
  constructor(message: string) {
    super("COUNTER_OVERFLOW", message);
  }
}

/** The configuration given to a factory is invalid. Code `INVALID_CONFIG`. */
export class ConfigError extends ConvergeError {
  constructor(message: string) {
    super("INVALID_CONFIG", message);
  }
}

/**
 * A delta was computed since a version this replica has not reached (it lacks operations the
 * delta assumes it has), or a payload of the wrong kind was given. Code `DELTA_UNKNOWN_BASE` or
 * `WRONG_PAYLOAD_KIND`. Nothing was merged: request a delta since this replica's
 * `versionVector()`, or a full state.
 */
export class PayloadKindError extends ConvergeError {
  constructor(code: "DELTA_UNKNOWN_BASE" | "WRONG_PAYLOAD_KIND", message: string) {
    super(code, message);
  }
}
