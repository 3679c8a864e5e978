import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { advanceView, EMPTY_VIEW, type TextView, viewContributions } from "../src/text-view.ts";
import { parseTextUpdate } from "../src/update-parse.ts";
import { contributionsOf, hasPending, TEXT_NAME } from "../src/yjs-doc.ts";

const CLIENTS = [3, 2 ** 40 + 7, 2 ** 53 - 1];

/** One step of a history: an edit by a client, or a sync from one client's document to another's. */
type Step =
  | { readonly client: number; readonly insert: string; readonly at: number }
  | { readonly client: number; readonly delete: number; readonly at: number }
  | { readonly from: number; readonly to: number };

// Emoji are surrogate pairs: edits and deletes at odd positions split them, as users can.
const unit = fc.constantFrom("a", "b", "é", "ж", " ", "😀");
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      client: fc.nat(2),
      insert: fc.string({ unit, minLength: 1, maxLength: 4 }),
      at: fc.nat(14),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ client: fc.nat(2), delete: fc.integer({ min: 1, max: 4 }), at: fc.nat(14) }),
  },
  { weight: 3, arbitrary: fc.record({ from: fc.nat(2), to: fc.nat(2) }) },
);

/** The updates a history writes: one per edit (its transaction's update), in history order. */
function updatesOf(history: readonly Step[]): Uint8Array[] {
  const docs = CLIENTS.map((c) => {
    const d = new Y.Doc({ gc: true });
    d.clientID = c;
    return d;
  });
  const out: Uint8Array[] = [];
  for (const s of history) {
    if ("from" in s) {
      Y.applyUpdate(docs[s.to] as Y.Doc, Y.encodeStateAsUpdate(docs[s.from] as Y.Doc));
      continue;
    }
    const doc = docs[s.client] as Y.Doc;
    const text = doc.getText(TEXT_NAME);
    const at = Math.min(s.at, text.length);
    const before = Y.encodeStateVector(doc);
    if ("insert" in s) text.insert(at, s.insert);
    else if (text.length > at) text.delete(at, Math.min(s.delete, text.length - at));
    else continue;
    out.push(Y.encodeStateAsUpdate(doc, before));
  }
  return out;
}

/** What Yjs shows for `updates` applied in this order, in one transaction as the doc cache does. */
function yjsOf(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  Y.transact(doc, () => {
    for (const u of updates) Y.applyUpdate(doc, u);
  });
  return doc;
}

/** A history's updates, a selection of them (some dependencies may be left out), and an order. */
const scenario = fc
  .array(step, { minLength: 1, maxLength: 24 })
  .map(updatesOf)
  .filter((us) => us.length > 0)
  .chain((us) =>
    fc.record({
      updates: fc.constant(us),
      keep: fc.array(fc.boolean(), { minLength: us.length, maxLength: us.length }),
      order: fc.shuffledSubarray(
        us.map((_, i) => i),
        { minLength: us.length, maxLength: us.length },
      ),
      cut: fc.nat(us.length),
      drop: fc.boolean(),
    }),
  );

describe("TextView: what a plain text shows, without a Yjs document", () => {
  it("reads what Yjs reads, or declines: any order, any split into two steps, missing dependencies", () => {
    const { seed, numRuns } = runConfig({}, 1000);
    console.log(`[yjs view] seed ${seed}, ${numRuns} runs; replay with CONVERGE_SEED=${seed}`);
    let viewed = 0;
    let declined = 0;
    let pending = 0;
    fc.assert(
      fc.property(scenario, ({ updates, keep, order, cut, drop }) => {
        const chosen = order.filter((i) => !drop || keep[i] !== false).map((i) => updates[i] as Uint8Array);
        const doc = yjsOf(chosen);
        const first = advanceView(EMPTY_VIEW, chosen.slice(0, cut));
        const view =
          first === null
            ? null
            : advanceView(first ?? EMPTY_VIEW, first === undefined ? chosen : chosen.slice(cut));
        if (view === undefined) {
          // "A dependency is missing" only when Yjs also holds something back.
          expect(hasPending(doc)).toBe(true);
          pending++;
          return;
        }
        if (view === null) {
          declined++;
          return;
        }
        viewed++;
        const text = doc.getText(TEXT_NAME);
        expect(view.text).toBe(text.toString());
        expect(text.toDelta()).toEqual(view.text === "" ? [] : [{ insert: view.text }]);
        expect([...viewContributions(view)].sort()).toEqual([...contributionsOf(text)].sort());
        expect(hasPending(doc)).toBe(false);
        // The same view in one step, from scratch.
        expect(advanceView(EMPTY_VIEW, chosen)?.text).toBe(view.text);
      }),
      { seed, numRuns },
    );
    console.log(`[yjs view] viewed ${viewed}, declined ${declined}, pending ${pending}`);
    // The fast path is the common case, and declining is exercised too.
    expect(viewed).toBeGreaterThan(numRuns / 2);
    expect(declined + pending).toBeGreaterThan(0);
  }, 300_000);

  it("the benchmark's shape: a text, an insert inside it and an append, concurrent", () => {
    const a = new Y.Doc();
    a.clientID = 5;
    const b = new Y.Doc();
    b.clientID = 7;
    const capture = (d: Y.Doc, edit: (t: Y.Text) => void): Uint8Array => {
      const before = Y.encodeStateVector(d);
      edit(d.getText(TEXT_NAME));
      return Y.encodeStateAsUpdate(d, before);
    };
    const first = capture(a, (t) => t.insert(0, "Crisp apple."));
    Y.applyUpdate(b, first);
    const fromA = capture(a, (t) => t.insert(3, "A"));
    const fromB = capture(b, (t) => t.insert(t.length, "B"));
    const base = advanceView(EMPTY_VIEW, [first]) as TextView;
    expect(base.text).toBe("Crisp apple.");
    expect(advanceView(base, [fromB, fromA])?.text).toBe("CriAsp apple.B");
    expect(advanceView(base, [fromA, fromB])?.text).toBe("CriAsp apple.B");
    // Views are values: advancing one leaves it as it was.
    expect(base.text).toBe("Crisp apple.");
  });

  it("orders concurrent inserts at one spot as Yjs does; declines formatting and a split emoji", () => {
    const a = new Y.Doc();
    a.clientID = 5;
    const b = new Y.Doc();
    b.clientID = 7;
    const updates: Uint8Array[] = [];
    a.on("update", (u: Uint8Array) => updates.push(u));
    a.getText(TEXT_NAME).insert(0, "ab");
    Y.applyUpdate(b, updates[0] as Uint8Array);
    const base = advanceView(EMPTY_VIEW, updates) as TextView;
    const one = (d: Y.Doc, edit: (t: Y.Text) => void): Uint8Array => {
      const before = Y.encodeStateVector(d);
      edit(d.getText(TEXT_NAME));
      return Y.encodeStateAsUpdate(d, before);
    };
    const f = new Y.Doc();
    Y.applyUpdate(f, updates[0] as Uint8Array);
    expect(parseTextUpdate(one(f, (t) => t.format(0, 1, { bold: true })))).toBeUndefined();
    const x = one(a, (t) => t.insert(1, "x"));
    const y = one(b, (t) => t.insert(1, "y"));
    expect(advanceView(base, [x])?.text).toBe("axb");
    // Yjs orders the two by client id, whichever comes first.
    Y.applyUpdate(a, y);
    expect(a.getText(TEXT_NAME).toString()).toBe("axyb");
    expect(advanceView(base, [x, y])?.text).toBe("axyb");
    expect(advanceView(base, [y, x])?.text).toBe("axyb");
    const e = new Y.Doc();
    e.clientID = 9;
    const emoji = one(e, (t) => t.insert(0, "😀"));
    const split = one(e, (t) => t.insert(1, "!")); // between the halves: Yjs writes U+FFFD twice
    expect(advanceView(EMPTY_VIEW, [emoji])?.text).toBe("😀");
    expect(advanceView(EMPTY_VIEW, [emoji, split])).toBeNull();
    expect(e.getText(TEXT_NAME).toString()).toBe("\ufffd!\ufffd");
  });
});
