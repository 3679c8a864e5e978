import * as Y from "yjs";
import { addedUpdates, type TextState } from "./text-state.ts";
import { materialize, newDoc } from "./yjs-doc.ts";

/** Most updates a merge hands on unapplied; more, and the next read rebuilds the document. */
const MAX_FRESH = 16;
/** Most updates a handed-on document may wait for, over several merges. */
const MAX_PENDING = 64;

/** A cached document and the updates it still has to apply to describe its state. */
interface Live {
  readonly doc: Y.Doc;
  readonly pending: readonly Uint8Array[];
}

/**
 * The Yjs documents of text states, one per state at most. States are immutable values; a
 * document belongs to one state and is moved, never shared, to the state an edit or a merge
 * derives from it. A merge moves it lazily: the merged state's document is the old one plus the
 * updates the merge brought, applied at the first read, so a merge itself runs no Yjs transaction
 * and a key merged twice before it is read pays one.
 */
export interface DocCache {
  /** The document of `s`, brought up to date (built from the state when none is cached); kept cached. */
  readonly docOf: (s: TextState) => Y.Doc;
  /** The up-to-date document of `s` (or an empty one), removed from the cache: the caller edits it. */
  readonly take: (s: TextState | undefined) => Y.Doc;
  /** Caches `doc` as the document of `s`. */
  readonly put: (s: TextState, doc: Y.Doc) => void;
  /**
   * After `merged = merge(a, b)`: moves the cached document of `a` or `b` to `merged` when the
   * merge only added a few updates to it (an op, a small delta, one edit per key of a full state).
   */
  readonly handOn: (a: TextState, b: TextState, merged: TextState) => void;
}

function flush(live: Live): Y.Doc {
  const { doc, pending } = live;
  if (pending.length === 1) Y.applyUpdate(doc, pending[0] as Uint8Array);
  else if (pending.length > 1) {
    Y.transact(doc, () => {
      for (const u of pending) Y.applyUpdate(doc, u);
    });
  }
  return doc;
}

/** No updates: an empty array of the element kind every update list has (objects). */
const NOTHING: readonly Uint8Array[] = noUpdates();

function noUpdates(): Uint8Array[] {
  const out = [new Uint8Array(0)];
  out.pop();
  return out;
}

/** A fresh {@link DocCache}; a resolver instance holds one. */
export function createDocCache(): DocCache {
  const docs = {
    get: (s: TextState): Live | undefined => s.docSlot as Live | undefined,
    set: (s: TextState, live: Live): void => {
      s.docSlot = live;
    },
    delete: (s: TextState): void => {
      s.docSlot = undefined;
    },
  };
  const moveDoc = (from: TextState, merged: TextState): boolean => {
    const live = docs.get(from);
    if (live === undefined || merged.base !== from.base) return false;
    const fresh = addedUpdates(merged, from, Math.min(MAX_FRESH, MAX_PENDING - live.pending.length));
    if (fresh === undefined) return false;
    const pending = [...live.pending, ...fresh];
    docs.delete(from);
    docs.set(merged, { doc: live.doc, pending });
    return true;
  };
  return {
    docOf: (s) => {
      const live = docs.get(s);
      if (live === undefined) {
        const doc = materialize(s);
        docs.set(s, { doc, pending: NOTHING });
        return doc;
      }
      if (live.pending.length === 0) return live.doc;
      docs.set(s, { doc: live.doc, pending: NOTHING });
      return flush(live);
    },
    take: (s) => {
      if (s === undefined) return newDoc();
      const live = docs.get(s);
      if (live === undefined) return materialize(s);
      docs.delete(s);
      return flush(live);
    },
    put: (s, doc) => {
      docs.set(s, { doc, pending: NOTHING });
    },
    handOn: (a, b, merged) => {
      if (!moveDoc(a, merged)) moveDoc(b, merged);
    },
  };
}
