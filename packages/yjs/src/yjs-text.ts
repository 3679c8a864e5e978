import type { Resolver } from "@converge/core";
import type { TextInput } from "./text-edit.ts";
import { type TextDeltaOp, textResolver } from "./text-resolver.ts";

/**
 * A collaborative text key: its state is a Yjs document holding one `Y.Text`, and it reads as
 * that text's string. Edits (`editText`, or `map.set(key, textEdit(…))`; a plain string replaces
 * the whole text) merge character by character, as Yjs merges them: concurrent inserts all
 * survive, in Yjs's order; a character survives unless an edit that saw it deleted it.
 *
 * - Laws: merge is commutative, associative and idempotent at the byte level (each operation's
 *   Yjs update is kept apart, keyed by its converge dot, until every replica has seen the key;
 *   `compact` then folds them into one canonical update).
 * - Deletes are observed-remove: `delete(key)` deletes every character the deleting replica saw;
 *   a concurrent edit survives, and the key then reads as what that edit left.
 * - `conflicts(key)`: one entry per replica that wrote the text's visible characters or holds a
 *   live edit, with those characters (in text order) and its newest operation's clock.
 * - Op payloads and deltas carry only the updates their receiver lacks (`Resolver.delta`).
 * - Id `yjs-text`, version `1301` (Yjs major 13, format 1): a replica built on another Yjs major
 *   refuses this one's states (`RESOLVER_VERSION`) instead of misreading them.
 *
 * @example
 * const rules = { default: lww(), keys: { "desc:*": yjsText() } };
 * editText(shop, "desc:apple", (t) => t.insert(0, "Crisp and sweet."));
 * shop.get("desc:apple"); // "Crisp and sweet."
 */
export function yjsText(): Resolver<TextInput, string> {
  return textResolver<string>({ rich: false });
}

/**
 * {@link yjsText} for rich text: the same state, merge and laws, but a key reads as the text's
 * delta — `[{ insert: "Crisp", attributes: { bold: true } }, { insert: " and sweet." }]` — so
 * formatting (`text.format`, `text.insert(i, s, attributes)`) is kept. Id `yjs-richtext`, version
 * `1301`.
 *
 * @example
 * editText(shop, "note:apple", (t) => t.insert(0, "Crisp", { bold: true }));
 * shop.get("note:apple"); // [{ insert: "Crisp", attributes: { bold: true } }]
 */
export function yjsRichText(): Resolver<TextInput, readonly TextDeltaOp[]> {
  return textResolver<readonly TextDeltaOp[]>({ rich: true });
}
