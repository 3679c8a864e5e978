import * as Y from "yjs";
import type { TextState } from "./text-state.ts";
import { scanUpdate } from "./update-scan.ts";

/** Name of the one root type of a text key's document. */
export const TEXT_NAME = "t";

/**
 * A document as text keys use them: garbage collection on (deleted text keeps only its ids). The
 * guid is fixed (it never travels in updates): a random one costs a crypto call per document.
 */
export function newDoc(): Y.Doc {
  return new Y.Doc({ gc: true, guid: "converge-text" });
}

/** The document a state describes: its base and every entry, applied in one transaction. */
export function materialize(state: TextState): Y.Doc {
  const doc = newDoc();
  Y.transact(doc, () => {
    if (state.base !== undefined) Y.applyUpdate(doc, state.base);
    for (const e of state.entries) Y.applyUpdate(doc, e.update);
  });
  return doc;
}

/** True when `doc` holds structs or deletions whose dependencies it has not received. */
export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/**
 * The canonical update of a set of updates: applied together to a fresh document (which merges
 * every struct it can), encoded, and re-encoded once more through another fresh document, so
 * the bytes depend only on the operations, not on how earlier updates split or grouped them.
 * `undefined` when some update's dependencies are missing (nothing canonical to write).
 */
export function fold(updates: readonly Uint8Array[]): Uint8Array | undefined {
  const doc = newDoc();
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u);
  });
  if (hasPending(doc)) return undefined;
  const again = newDoc();
  Y.applyUpdate(again, Y.encodeStateAsUpdate(doc));
  return Y.encodeStateAsUpdate(again);
}

/**
 * Runs `edit` on the text of `doc` as Yjs client `client`, in one transaction, and returns the
 * update of exactly that transaction (`undefined` when it changed nothing).
 */
export function captureEdit(
  doc: Y.Doc,
  client: number,
  edit: (text: Y.Text) => void,
): Uint8Array | undefined {
  doc.clientID = client;
  let update: Uint8Array | undefined;
  const listener = (u: Uint8Array): void => {
    update = update === undefined ? u : Y.mergeUpdates([update, u]);
  };
  doc.on("update", listener);
  try {
    Y.transact(doc, () => edit(doc.getText(TEXT_NAME)));
  } finally {
    doc.off("update", listener);
  }
  return update;
}

/** The visible characters of `text`, grouped by the Yjs client that inserted them, in text order. */
export function contributionsOf(text: Y.Text): Map<number, string> {
  const out = new Map<number, string>();
  let item = text._start;
  while (item !== null) {
    if (!item.deleted && item.content instanceof Y.ContentString) {
      const c = item.id.client;
      out.set(c, (out.get(c) ?? "") + item.content.str);
    }
    item = item.right;
  }
  return out;
}

/**
 * Checks a Yjs update received in a state: it must parse, and its structs must all belong to
 * `clients` (one client id, or a list). Returns an error message, or `undefined` when it is acceptable. Plain-text updates
 * pass a byte walk ({@link scanUpdate}); anything it is not sure of is decoded by Yjs.
 */
export function checkUpdate(update: Uint8Array, clients: number | readonly number[]): string | undefined {
  if (scanUpdate(update, clients)) return undefined;
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return "malformed Yjs update";
  }
  for (const s of decoded.structs) {
    if (typeof clients === "number" ? s.id.client !== clients : !clients.includes(s.id.client))
      return `Yjs update holds structs of client ${s.id.client}, not its author's`;
  }
  return undefined;
}

function writeVarUint(out: number[], n: number): void {
  let v = n;
  while (v > 0x7f) {
    out.push(0x80 | (v % 0x80));
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * A Yjs update (v1) deleting every struct of every client that `updates` hold — integrated or
 * still waiting for a dependency — and holding no struct of its own. A delete of a text key is
 * observed-remove: it erases exactly the characters of the operations the deleting replica holds,
 * including ones its document cannot show yet, and nothing written concurrently.
 */
export function deleteAllUpdate(updates: readonly Uint8Array[]): Uint8Array | undefined {
  const clocks = new Map<number, number>();
  for (const u of updates) {
    for (const [client, clock] of Y.parseUpdateMeta(u).to) {
      if (clock > (clocks.get(client) ?? 0)) clocks.set(client, clock);
    }
  }
  if (clocks.size === 0) return undefined;
  const out: number[] = [0];
  writeVarUint(out, clocks.size);
  // Clients in decreasing order, as Yjs writes delete sets; one range [0, clock) each.
  for (const [client, clock] of [...clocks].sort((a, b) => b[0] - a[0])) {
    writeVarUint(out, client);
    writeVarUint(out, 1);
    writeVarUint(out, 0);
    writeVarUint(out, clock);
  }
  return Uint8Array.from(out);
}
