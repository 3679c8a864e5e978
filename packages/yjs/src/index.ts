/**
 * @converge/yjs — collaborative text as a per-key rule of a converge map.
 *
 * A key governed by {@link yjsText} (or {@link yjsRichText}) holds a Yjs text: edits merge
 * character by character, next to counters, lww registers and scripted keys in the same map,
 * synced by the same payloads. {@link editText} turns one edit of the key's `Y.Text` into one
 * converge operation carrying only that edit's Yjs update. `yjs` 13 is a peer dependency.
 *
 * @packageDocumentation
 */

export { clientIdOf } from "./client-id.ts";
export { editText, type TextEdit, type TextInput, textEdit } from "./text-edit.ts";
export { type TextDeltaOp, YJS_MAJOR } from "./text-resolver.ts";
export { yjsRichText, yjsText } from "./yjs-text.ts";
