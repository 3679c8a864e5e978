import type { Value } from "@converge/core";
import fc from "fast-check";
import type * as Y from "yjs";
import { type TextEdit, type TextInput, textEdit } from "../src/index.ts";

/** A replayable description of one edit, so a failing history prints readably. */
export type EditSpec =
  | { readonly insert: string; readonly at: number; readonly bold?: boolean }
  | { readonly delete: number; readonly at: number }
  | { readonly format: number; readonly at: number };

/** Runs `spec` on `text`, positions clamped to its length (the same spec fits any text). */
export function applySpec(text: Y.Text, spec: EditSpec): void {
  const at = Math.min(spec.at, text.length);
  if ("insert" in spec) text.insert(at, spec.insert, spec.bold === true ? { bold: true } : {});
  else if ("delete" in spec) {
    const n = Math.min(spec.delete, text.length - at);
    if (n > 0) text.delete(at, n);
  } else {
    const n = Math.min(spec.format, text.length - at);
    if (n > 0) text.format(at, n, { italic: true });
  }
}

/** The edit for `spec`, printing as the spec. */
export function editOf(spec: EditSpec): TextEdit {
  const edit = textEdit((t) => applySpec(t, spec));
  return Object.freeze(Object.assign(Object.create(null), edit, { toJSON: () => spec })) as TextEdit;
}

const chars = fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " ", "ж"), minLength: 1, maxLength: 4 });

/** Random edit descriptions: inserts (some bold), deletes, formatting. */
export const editSpecs: fc.Arbitrary<EditSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ insert: chars, at: fc.nat(12), bold: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ delete: fc.integer({ min: 1, max: 4 }), at: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ format: fc.integer({ min: 1, max: 4 }), at: fc.nat(12) }) },
);

/** What text keys' `set` takes in the law kit: edits, and now and then a whole new text. */
export const textInputs: fc.Arbitrary<TextInput> = fc.oneof(
  { weight: 5, arbitrary: editSpecs.map(editOf) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("x", "y"), maxLength: 3 }) },
);

/** `textInputs` typed as the network simulator's values (edits are objects it only passes on). */
export const networkEdits: fc.Arbitrary<Value> = textInputs as unknown as fc.Arbitrary<Value>;
