import { ConvergeError } from "@converge/hlc";

// INVALID_CONFIG and INVALID_VALUE are thrown by @converge/hlc too, so their classes live there.
export { ConfigError, describeValue, InvalidValueError } from "@converge/hlc";

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
  /** For `CONFIG_MISMATCH`: this replica's key-rule fingerprint, 16 hex digits. */
  readonly expected: string | undefined;
  /** For `CONFIG_MISMATCH`: the fingerprint the payload carries (the sender's), 16 hex digits. */
  readonly received: string | undefined;
  /** For `CONFIG_MISMATCH`: what is known to differ between the two configurations. */
  readonly differences: readonly ConfigDifference[];
  constructor(
    code: "UNKNOWN_RESOLVER" | "RESOLVER_VERSION" | "CONFIG_MISMATCH" | "RESOLVER_MISMATCH",
    message: string,
    detail?: {
      readonly expected: string;
      readonly received: string;
      readonly differences: readonly ConfigDifference[];
    },
  ) {
    super(code, message);
    this.expected = detail?.expected;
    this.received = detail?.received;
    this.differences = Object.freeze([...(detail?.differences ?? [])]);
  }
}

/**
 * One known difference between the key rules of a payload's sender and the receiver's, as far as
 * the payload shows it (its header carries the sender's rule fingerprint and the resolvers its
 * entries use, not the sender's patterns):
 * - `fingerprint`: the fingerprints differ (always present in a `CONFIG_MISMATCH`);
 * - `resolver-not-in-payload`: a resolver of this replica's rules that no entry of the payload
 *   uses — the sender may lack a rule for it (or simply wrote no key under it).
 *
 * The message also lists this replica's rules in canonical form, to compare with the sender's.
 */
export type ConfigDifference =
  | { readonly kind: "fingerprint"; readonly expected: string; readonly received: string }
  | { readonly kind: "resolver-not-in-payload"; readonly resolver: string };

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

/**
 * This replica has used every seq a dot can carry (2^52 − 1): a further local write could not be
 * encoded or read anywhere. Code `SEQ_OVERFLOW`. Nothing changed (the clock did not tick).
 */
export class SeqOverflowError extends ConvergeError {
  constructor(message: string) {
    super("SEQ_OVERFLOW", message);
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

declare module "@converge/hlc" {
  /** The codes thrown by @converge/core (see docs/ERRORS.md). */
  interface ConvergeErrorCodes {
    /** A payload is malformed or not canonical. */
    DECODE_MALFORMED: DecodeError;
    /** A payload ends before its data does. */
    DECODE_TRUNCATED: DecodeError;
    /** A payload exceeds a decode limit. */
    DECODE_TOO_LARGE: DecodeError;
    /** A payload's integrity check does not match its bytes. */
    DECODE_CHECKSUM: DecodeError;
    /** A payload has a format version this build does not read. */
    FORMAT_VERSION: DecodeError;
    /** A payload uses a resolver id this replica does not know. */
    UNKNOWN_RESOLVER: ResolverMismatchError;
    /** A payload uses another version of a resolver this replica knows. */
    RESOLVER_VERSION: ResolverMismatchError;
    /** A payload was written under other key rules (fingerprints differ). */
    CONFIG_MISMATCH: ResolverMismatchError;
    /** A payload's key is governed by another resolver here. */
    RESOLVER_MISMATCH: ResolverMismatchError;
    /** A key is not a well-formed string within the size limit. */
    INVALID_KEY: InvalidKeyError;
    /** The key's resolver has no such operation. */
    UNSUPPORTED_OPERATION: UnsupportedOperationError;
    /** A counter would leave the safe-integer range. */
    COUNTER_OVERFLOW: CounterOverflowError;
    /** This replica's seqs are used up (2^52 − 1). */
    SEQ_OVERFLOW: SeqOverflowError;
    /** A delta's base is a version this replica has not reached. */
    DELTA_UNKNOWN_BASE: PayloadKindError;
    /** A payload of another kind than the apply function takes. */
    WRONG_PAYLOAD_KIND: PayloadKindError;
    /**
     * `@converge/core/testing`: replicas did not converge (`ConvergenceError`, typed here as its
     * base class so the main entry point does not depend on the testing one).
     */
    CONVERGENCE_VIOLATION: ConvergeError;
    /** `@converge/core/testing`: a resolver broke a law (`LawViolationError`, typed as its base class). */
    LAW_VIOLATION: ConvergeError;
  }
}
