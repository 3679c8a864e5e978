// payload-edits: byte edits of a payload's sealed content (flip, overwrite, insert, delete), for the
// "accepted means canonical" fuzzers of core and resolvers.
import fc from "fast-check";

/** One edit at `at` (taken modulo the content, past the magic and version bytes). */
export interface PayloadEdit {
  readonly kind: "flip" | "set" | "insert" | "delete";
  readonly at: number;
  readonly byte: number;
}

// Small values (counts, table indexes) and digits (array-index object keys) are where one byte
// makes a payload non-canonical, so they are drawn more often.
const byteArb = fc.oneof(fc.nat(255), fc.nat(3), fc.integer({ min: 0x30, max: 0x39 }));

/** One to three edits. */
export const payloadEdits: fc.Arbitrary<PayloadEdit[]> = fc.array(
  fc.record({ kind: fc.constantFrom("flip", "set", "insert", "delete"), at: fc.nat(), byte: byteArb }),
  { minLength: 1, maxLength: 3 },
);

/** `content` (a payload without its length field and checksum) with `edits` applied in order. */
export function applyEdits(content: Uint8Array, edits: readonly PayloadEdit[]): Uint8Array {
  const out = [...content];
  for (const e of edits) {
    // Past the magic and version bytes (which the checksum does not protect beyond).
    const at = 3 + (e.at % (out.length - 2));
    if (e.kind === "flip" && at < out.length) out[at] = (out[at] as number) ^ (1 << (e.byte & 7));
    else if (e.kind === "set" && at < out.length) out[at] = e.byte;
    else if (e.kind === "insert") out.splice(at, 0, e.byte);
    else out.splice(at, 1);
  }
  return new Uint8Array(out);
}
