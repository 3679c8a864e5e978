import { type Concurrent, defineResolver, type Resolver, type Stamp } from "@converge/core";
import { Timestamp } from "@converge/hlc";
import * as Y from "yjs";
import { clientIdOf } from "./client-id.ts";
import { createDocCache } from "./doc-cache.ts";
import type { ClockEntry, Dot } from "./dots.ts";
import { createReaderKeeper } from "./reader-keeper.ts";
import { decodeText, encodeText } from "./text-codec.ts";
import { type TextInput, toEdit } from "./text-edit.ts";
import { compareDots, deltaOf, type Entry, kept, mergeText, TextState } from "./text-state.ts";
import { viewContributions } from "./text-view.ts";
import { createViewCache } from "./view-cache.ts";
import { captureEdit, contributionsOf, deleteAllUpdate, fold, TEXT_NAME } from "./yjs-doc.ts";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Every update a state holds: its base, then its entries. */
function updatesOf(s: TextState): Uint8Array[] {
  const out = s.entries.map((e) => e.update);
  if (s.base !== undefined) out.unshift(s.base);
  return out;
}

/** The Yjs major version whose update encoding text states hold. */
export const YJS_MAJOR = 13;

/** Revision of this package's text state format, within one Yjs major. */
const FORMAT_REVISION = 1;

/** A delta op of rich text: an insert (text or embed) with its formatting attributes. */
export interface TextDeltaOp {
  readonly insert: string | object;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** @internal Options of {@link textResolver}. */
export interface TextResolverOptions {
  readonly rich: boolean;
  /** The Yjs major version pinned in the resolver's version; tests vary it. */
  readonly major?: number;
}

/** @internal The text resolvers' common factory. */
export function textResolver<Out>(options: TextResolverOptions): Resolver<TextInput, Out> {
  const major = options.major ?? YJS_MAJOR;
  // Per-state caches: the document (see DocCache), the plain text's view (see ViewCache: reads
  // without a document), and what a state reads as. States are immutable, so a cached read never
  // goes stale.
  const docs = createDocCache();
  const views = createViewCache();
  const readers = createReaderKeeper();
  // The read of a state, cached on it (one slot per kind of read).
  const cached = options.rich
    ? (s: TextState): Out | undefined => s.richRead as Out | undefined
    : (s: TextState): Out | undefined => s.plainRead as Out | undefined;
  const cache = options.rich
    ? (s: TextState, v: Out): void => {
        s.richRead = v;
      }
    : (s: TextState, v: Out): void => {
        s.plainRead = v as string;
      };

  /** The state after a local operation by `stamp` whose Yjs update is `update`. */
  const local = (
    s: TextState | undefined,
    stamp: Stamp,
    update: Uint8Array | undefined,
    edit: boolean,
  ): TextState => {
    const mine: ClockEntry = {
      replica: stamp.replica,
      seq: stamp.seq,
      wall: stamp.time.wall,
      counter: stamp.time.counter,
    };
    const clock = (s?.clock ?? []).filter((e) => e.replica !== stamp.replica);
    clock.push(mine);
    clock.sort(compareDots);
    let live: Dot[] = [];
    if (edit) {
      live = (s?.live ?? []).filter((d) => d.replica !== stamp.replica);
      live.push({ replica: stamp.replica, seq: stamp.seq });
      live.sort(compareDots);
    }
    const entries: Entry[] = [...(s?.entries ?? [])];
    if (update !== undefined) {
      entries.push({ replica: stamp.replica, seq: stamp.seq, update });
      entries.sort(compareDots);
    }
    return new TextState(clock, live, s?.base, s?.baseClock ?? [], entries);
  };

  /**
   * Runs one local Yjs transaction on the state's document and derives the new state. With
   * `clear`, the operation first deletes every character the state holds (`deleteAllUpdate`).
   */
  const run = (
    s: TextState | undefined,
    stamp: Stamp,
    edit: ((text: Y.Text) => void) | undefined,
    clear: boolean,
    isEdit: boolean,
  ): TextState => {
    const doc = docs.take(s);
    const cleared = clear && s !== undefined ? deleteAllUpdate(updatesOf(s)) : undefined;
    if (cleared !== undefined) Y.applyUpdate(doc, cleared);
    // When `edit` throws, the document is dropped (it may be half edited): nothing changed.
    const edited = edit === undefined ? undefined : captureEdit(doc, clientIdOf(stamp.replica), edit);
    const update =
      cleared === undefined ? edited : edited === undefined ? cleared : Y.mergeUpdates([cleared, edited]);
    const next = local(s, stamp, update, isEdit);
    docs.put(next, doc);
    views.derive(s, next, update);
    return next;
  };

  // Reads are cached per state and handed to every caller: a delta is frozen, deep.
  const readDoc = (doc: Y.Doc): Out => {
    const text = doc.getText(TEXT_NAME);
    return (options.rich ? deepFreeze(text.toDelta()) : text.toString()) as Out;
  };
  // A view holds no formatting or embed: as a delta, its text is one plain insert.
  const readView = (text: string): Out =>
    (options.rich ? deepFreeze(text === "" ? [] : [{ insert: text }]) : text) as Out;

  return defineResolver<TextInput, Out, TextState>({
    id: options.rich ? "yjs-richtext" : "yjs-text",
    version: major * 100 + FORMAT_REVISION,
    set: (s, value, stamp) => {
      const edit = toEdit(value);
      return typeof value === "string" ? run(s, stamp, edit, true, true) : run(s, stamp, edit, false, true);
    },
    remove: (s, stamp) => run(s, stamp, undefined, true, false),
    merge: (a, b) => {
      const m = mergeText(a, b, fold);
      if (m !== a && m !== b) {
        docs.handOn(a, b, m);
        views.handOn(a, b, m);
      }
      return m;
    },
    read: (s) => {
      if (s.live.length === 0) return undefined;
      const hit = cached(s);
      if (hit !== undefined) return hit;
      const view = views.viewOf(s);
      const v = view === undefined ? readDoc(docs.docOf(s)) : readView(view.text);
      cache(s, v);
      return v;
    },
    exists: (s) => s.live.length > 0,
    conflicts: (s) => {
      if (s.live.length === 0) return [];
      const view = views.viewOf(s);
      const by =
        view === undefined ? contributionsOf(docs.docOf(s).getText(TEXT_NAME)) : viewContributions(view);
      const out: Concurrent<TextInput>[] = [];
      for (const e of s.clock) {
        const text = by.get(clientIdOf(e.replica));
        if (text === undefined && !s.live.some((d) => d.replica === e.replica)) continue;
        out.push({
          value: text ?? "",
          replica: e.replica,
          seq: e.seq,
          time: new Timestamp(e.wall, e.counter, e.replica),
        });
      }
      return out;
    },
    versions: (s, visit) => {
      for (const e of s.clock) visit(e.replica, e.seq);
    },
    compact: (s, stable) => {
      // Only a key every replica has seen whole is folded: then every operation up to the key
      // clock is here, and the base holds exactly the operations up to its clock.
      if (s.entries.length === 0) return s;
      for (const e of s.clock) if (!stable.includes(e.replica, e.seq)) return s;
      const base = fold(updatesOf(s));
      if (base === undefined) return s;
      const baseClock = s.clock.map((e) => ({ replica: e.replica, seq: e.seq }));
      return new TextState(s.clock, s.live, base, baseClock, []);
    },
    // Text compaction drops no operation, so an incoming state has no stale part to remove: as the
    // map does for a resolver without `forget`, a state made only of operations seen here is
    // skipped when the key holds nothing. What is kept owns its bytes (`kept`: decoded entries
    // are views of the payload).
    forget: (incoming, local, seen) => {
      if (local === undefined && incoming.clock.every((e) => seen(e.replica, e.seq))) return undefined;
      return kept(incoming, local);
    },
    delta: deltaOf,
    encode: encodeText,
    decode: (r) => {
      const s = decodeText(r);
      readers.keep(r);
      return s;
    },
  });
}
