import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createDocCache } from "../src/doc-cache.ts";
import type { Dot } from "../src/dots.ts";
import { compareDots, type Entry, TextState } from "../src/text-state.ts";
import { newDoc, TEXT_NAME } from "../src/yjs-doc.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

/** Three operations: A writes "Crisp.", then B prepends "Very " and A appends "!" concurrently. */
function updates(): Entry[] {
  const a = new Y.Doc();
  a.clientID = 11;
  const b = new Y.Doc();
  b.clientID = 22;
  const capture = (d: Y.Doc, edit: (t: Y.Text) => void): Uint8Array => {
    const before = Y.encodeStateVector(d);
    edit(d.getText(TEXT_NAME));
    return Y.encodeStateAsUpdate(d, before);
  };
  const first = capture(a, (t) => t.insert(0, "Crisp."));
  Y.applyUpdate(b, first);
  return [
    { replica: A, seq: 1, update: first },
    { replica: B, seq: 1, update: capture(b, (t) => t.insert(0, "Very ")) },
    { replica: A, seq: 2, update: capture(a, (t) => t.insert(t.length, "!")) },
  ];
}

/** A state holding `entries`, sorted by dot (clock and live edits only need to be consistent here). */
function stateOf(entries: readonly Entry[]): TextState {
  const clock = [A, B]
    .map((replica) => ({
      replica,
      seq: Math.max(0, ...entries.filter((e) => e.replica === replica).map((e) => e.seq)),
      wall: 1,
      counter: 0,
    }))
    .filter((e) => e.seq > 0);
  const live: Dot[] = clock.map(({ replica, seq }) => ({ replica, seq }));
  return new TextState(clock, live, undefined, [], [...entries].sort(compareDots));
}

describe("DocCache: merges hand documents on lazily", () => {
  it("a document merged twice before a read applies both merges' updates in one transaction", () => {
    const [first, fromB, fromA] = updates() as [Entry, Entry, Entry];
    const cache = createDocCache();
    const s0 = stateOf([first]);
    const doc = newDoc();
    Y.applyUpdate(doc, first.update);
    cache.put(s0, doc);
    let transactions = 0;
    doc.on("afterTransaction", () => transactions++);

    const s1 = stateOf([first, fromB]);
    cache.handOn(s0, stateOf([fromB]), s1);
    const s2 = stateOf([first, fromB, fromA]);
    cache.handOn(s1, stateOf([fromA]), s2);
    expect(transactions).toBe(0); // the merges ran no Yjs transaction

    const read = cache.docOf(s2);
    expect(read).toBe(doc);
    expect(read.getText(TEXT_NAME).toString()).toBe("Very Crisp.!");
    expect(transactions).toBe(1);
    cache.docOf(s2);
    expect(transactions).toBe(1); // up to date now

    // The states the document moved away from rebuild their own, reading what they held.
    const again = cache.docOf(s1);
    expect(again).not.toBe(doc);
    expect(again.getText(TEXT_NAME).toString()).toBe("Very Crisp.");
    expect(cache.take(s0).getText(TEXT_NAME).toString()).toBe("Crisp.");
  });

  it("a merge bringing more than 16 updates leaves the document where it was", () => {
    const [first] = updates() as [Entry];
    const cache = createDocCache();
    const s0 = stateOf([first]);
    const doc = newDoc();
    Y.applyUpdate(doc, first.update);
    cache.put(s0, doc);
    const w = new Y.Doc();
    w.clientID = 22;
    Y.applyUpdate(w, first.update);
    const many: Entry[] = [];
    for (let seq = 1; seq <= 17; seq++) {
      const before = Y.encodeStateVector(w);
      w.getText(TEXT_NAME).insert(0, "x");
      many.push({ replica: B, seq, update: Y.encodeStateAsUpdate(w, before) });
    }
    const merged = stateOf([first, ...many]);
    cache.handOn(s0, stateOf(many), merged);
    expect(cache.docOf(s0)).toBe(doc);
    const built = cache.docOf(merged);
    expect(built).not.toBe(doc);
    expect(built.getText(TEXT_NAME).toString()).toBe(`${"x".repeat(17)}Crisp.`);
  });
});
