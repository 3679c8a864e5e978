import { InvalidValueError, type ReplicatedMap } from "@converge/core";
import type * as Y from "yjs";

/** Marks a {@link TextEdit}; a registered symbol, so two copies of this package agree. */
const EDIT: unique symbol = Symbol.for("@converge/yjs/edit") as never;

/**
 * One local edit of a text key, as `map.set(key, edit)` takes it: a function that edits the key's
 * `Y.Text`. Build it with {@link textEdit}, or let {@link editText} do both steps.
 */
export interface TextEdit {
  readonly [EDIT]: (text: Y.Text) => void;
}

/** What a text key's `set` takes: a whole new text (replacing every character) or an edit. */
export type TextInput = string | TextEdit;

/**
 * Wraps `edit` as a value `map.set` hands to a text key's resolver. The function runs once, at
 * the `set`, inside one Yjs transaction on the key's current text; the `Y.Text` it gets is valid
 * only during that call. Everything it does becomes one converge operation.
 *
 * @example
 * map.set("desc:apple", textEdit((t) => t.insert(t.length, " Crisp.")));
 */
export function textEdit(edit: (text: Y.Text) => void): TextEdit {
  if (typeof edit !== "function")
    throw new InvalidValueError("textEdit takes a function (text: Y.Text) => void");
  return Object.freeze({ [EDIT]: edit });
}

/**
 * Edits the text key `key` of `map`: runs `edit` on the key's `Y.Text` and turns what it did into
 * one converge operation, whose op payload carries only this edit's Yjs update (O(edit) bytes,
 * not the whole text). Equivalent to `map.set(key, textEdit(edit))`.
 *
 * @throws UnsupportedOperationError when `key` is not a text key; whatever `edit` throws (then
 *   nothing changed).
 * @example
 * editText(shop, "desc:apple", (t) => t.insert(0, "Fresh! "));
 */
export function editText(map: ReplicatedMap, key: string, edit: (text: Y.Text) => void): void {
  map.set(key, textEdit(edit));
}

/** @internal The edit a text key's `set` performs for `value`. */
export function toEdit(value: unknown): (text: Y.Text) => void {
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new InvalidValueError("string contains a lone surrogate");
    // The resolver deletes every character first; the edit only inserts.
    return (t) => {
      if (value.length > 0) t.insert(0, value);
    };
  }
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<TextEdit>)[EDIT] === "function"
  ) {
    return (value as TextEdit)[EDIT];
  }
  throw new InvalidValueError("a text key takes a string (a whole new text) or a textEdit(…)");
}
