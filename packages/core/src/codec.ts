/**
 * @converge/core/codec — the encoding primitives a resolver's `encode` and `decode` work with.
 *
 * A {@link Resolver} built with `defineResolver` writes its state to a {@link StateWriter} and
 * reads it back from a {@link StateReader}: binary primitives (from {@link Writer} and
 * {@link Reader}) plus replica ids, HLC times and {@link Value}s as the payload encodes them
 * (docs/FORMAT.md). Readers check every field against the {@link DecodeLimits} the map was given
 * (default {@link DEFAULT_DECODE_LIMITS}). Apps that only use the built-in resolvers or
 * `registerResolver` never need this subpath.
 *
 * @packageDocumentation
 */
export { FORMAT_VERSION } from "./payload/format.ts";
export { Reader } from "./reader.ts";
export { DEFAULT_DECODE_LIMITS, type DecodeLimits, StateReader, StateWriter } from "./state-codec.ts";
export { MAX_VALUE_DEPTH, readValue, type ValueLimits, writeValue } from "./value.ts";
export { bytes8ToHex } from "./version-vector.ts";
export { Writer } from "./writer.ts";
