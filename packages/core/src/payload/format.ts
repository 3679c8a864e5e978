// The payload format's constants and shapes: version, kinds, magic bytes, entries (docs/FORMAT.md).
import type { AnyResolver } from "../key-rules.ts";
import type { ReplicaId } from "../version-vector.ts";

/** Version of the binary format written by this package (see docs/FORMAT.md). */
export const FORMAT_VERSION = 3;

/** What a payload carries: a full state, a delta since a version vector, or one operation. */
export type PayloadKind = "state" | "delta" | "op";

/** The kind byte of each payload kind. */
export const KIND_CODES: Record<PayloadKind, number> = { state: 1, delta: 2, op: 3 };
/** The payload kind of each kind byte (4: an op in the single-write layout). */
export const KINDS: readonly (PayloadKind | undefined)[] = [undefined, "state", "delta", "op", "op"];
/**
 * Kind byte of a single-write op: one register write in the compact layout (docs/FORMAT.md,
 * "Single-write op") — no fingerprint, tables or context, a 4-byte CRC-32C.
 */
export const SINGLE_WRITE_KIND = 4;
/** Magic, version and kind: what precedes a single-write op's length. */
export const SINGLE_WRITE_HEADER_BYTES = 4;
/** Longest single-write op in bytes; a longer write is sent in the general op layout. */
export const MAX_SINGLE_WRITE_BYTES = 1024;
/** First magic byte: "C". */
export const MAGIC_0 = 0x43;
/** Second magic byte: "V". */
export const MAGIC_1 = 0x56;
/** Magic, version, kind and fingerprint; the total length follows. */
export const FIXED_HEADER_BYTES = 12;

/** One key's entry in a payload. */
export interface PayloadEntry {
  readonly key: string;
  readonly resolver: AnyResolver;
  readonly state: unknown;
}

/** Largest HLC time found in a payload; `wall` is -1 when it holds none. */
export interface MaxTime {
  readonly wall: number;
  readonly counter: number;
  readonly node: ReplicaId;
}
