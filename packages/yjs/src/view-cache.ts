import { addedUpdates, type TextState } from "./text-state.ts";
import { advanceView, EMPTY_VIEW, type TextView } from "./text-view.ts";

/** Most updates a view may wait for, over several merges; more, and the next read starts afresh. */
const MAX_PENDING = 64;

/** A state's view (`null`: only Yjs knows what it shows) and the updates it still has to take. */
interface Slot {
  readonly view: TextView | null;
  readonly pending: readonly Uint8Array[];
}

/**
 * The {@link TextView}s of text states, so a plain text reads without a Yjs document. Views are
 * immutable and may be shared by several states. A merge or a local operation hands the view on
 * lazily: the new state's view is the old one plus the updates the new state adds, applied at the
 * first read; a key merged twice before it is read advances once. A state whose history the view
 * cannot follow (formatting, concurrent inserts at one spot, a missing dependency) is marked, and
 * so are the states merged from it that keep its base: they read through Yjs.
 */
export interface ViewCache {
  /** The view of `s`, brought up to date; `undefined` when only Yjs can tell what `s` shows. */
  readonly viewOf: (s: TextState) => TextView | undefined;
  /** After `merged = merge(a, b)`: hands the view of `a` or `b` on to `merged` with what it adds. */
  readonly handOn: (a: TextState, b: TextState, merged: TextState) => void;
  /** After a local operation turned `from` into `to`, adding `update` (if any). */
  readonly derive: (from: TextState | undefined, to: TextState, update: Uint8Array | undefined) => void;
}

/** No updates: an empty array of the element kind every update list has (objects). */
const NOTHING: readonly Uint8Array[] = noUpdates();

function noUpdates(): Uint8Array[] {
  const out = [new Uint8Array(0)];
  out.pop();
  return out;
}

/** A fresh {@link ViewCache}; a resolver instance holds one. */
export function createViewCache(): ViewCache {
  const slots = {
    get: (s: TextState): Slot | undefined => s.viewSlot as Slot | undefined,
    set: (s: TextState, slot: Slot): void => {
      s.viewSlot = slot;
    },
    delete: (s: TextState): void => {
      s.viewSlot = undefined;
    },
  };
  const move = (from: TextState, merged: TextState): boolean => {
    const slot = slots.get(from);
    if (slot === undefined || merged.base !== from.base) return false;
    if (slot.view === null) {
      slots.set(merged, slot);
      return true;
    }
    const fresh = addedUpdates(merged, from, MAX_PENDING - slot.pending.length);
    if (fresh === undefined) return false;
    slots.set(merged, {
      view: slot.view,
      pending: slot.pending.length === 0 ? fresh : [...slot.pending, ...fresh],
    });
    return true;
  };
  // A missing dependency may arrive later: the state keeps no slot, its successors start afresh.
  const settle = (s: TextState, view: TextView | null | undefined): TextView | undefined => {
    if (view === undefined) slots.delete(s);
    else slots.set(s, { view, pending: NOTHING });
    return view ?? undefined;
  };
  return {
    viewOf: (s) => {
      const slot = slots.get(s);
      if (slot === undefined) {
        const updates = s.entries.map((e) => e.update);
        if (s.base !== undefined) updates.unshift(s.base);
        return settle(s, advanceView(EMPTY_VIEW, updates));
      }
      if (slot.view === null) return undefined;
      if (slot.pending.length > 0) return settle(s, advanceView(slot.view, slot.pending));
      return slot.view;
    },
    handOn: (a, b, merged) => {
      if (!move(a, merged)) move(b, merged);
    },
    derive: (from, to, update) => {
      const slot = from === undefined ? { view: EMPTY_VIEW, pending: NOTHING } : slots.get(from);
      if (slot === undefined || to.base !== from?.base) return;
      if (slot.view === null || update === undefined) slots.set(to, slot);
      else if (slot.pending.length < MAX_PENDING)
        slots.set(to, { view: slot.view, pending: [...slot.pending, update] });
    },
  };
}
