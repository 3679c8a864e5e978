import { createReplicatedMap, isConvergeError, type ReplicatedMap } from "@converge/core";
import { lww, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { editText, textEdit, yjsRichText, yjsText } from "../src/index.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const rules = {
  default: lww(),
  keys: { "desc:*": yjsText(), "note:*": yjsRichText(), "stock:*": pncounter() },
};

function replica(node: string, now: { t: number }): ReplicatedMap {
  return createReplicatedMap({ resolvers: rules, clockOptions: { node, now: () => now.t } });
}

function pair(): [ReplicatedMap, ReplicatedMap, { t: number }] {
  const now = { t: 1_764_000_000_000 };
  return [replica(A, now), replica(B, now), now];
}

function sync(x: ReplicatedMap, y: ReplicatedMap): void {
  const dx = x.encodeDelta(y.versionVector());
  const dy = y.encodeDelta(x.versionVector());
  y.applyDelta(dx);
  x.applyDelta(dy);
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("concurrent edits", () => {
  it("merge character by character: both edits survive, on both replicas", () => {
    const [a, b] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "Crisp apple."));
    sync(a, b);
    editText(a, "desc:apple", (t) => t.insert(0, "Fresh! "));
    editText(b, "desc:apple", (t) => t.insert(t.length, " From Kent."));
    sync(a, b);
    expect(a.get("desc:apple")).toBe("Fresh! Crisp apple. From Kent.");
    expect(b.get("desc:apple")).toBe("Fresh! Crisp apple. From Kent.");
    expect(a.encodeState()).toEqual(b.encodeState());
  });

  it("conflicts lists each replica's visible characters with its newest clock", () => {
    const [a, b] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "Crisp apple."));
    sync(a, b);
    editText(b, "desc:apple", (t) => t.insert(t.length, " From Kent."));
    editText(b, "desc:apple", (t) => t.delete(0, 6)); // "apple. From Kent."
    sync(a, b);
    const c = a.conflicts("desc:apple");
    expect(c.map((x) => [x.replica, x.value, x.seq])).toEqual([
      [A, "apple.", 1],
      [B, " From Kent.", 2],
    ]);
    expect(c[1]?.time.node).toBe(B);
    expect(b.conflicts("desc:apple")).toEqual(c);
  });

  it("a whole-text write replaces what its replica saw; a concurrent edit survives it", () => {
    const [a, b] = pair();
    a.set("desc:apple", "old");
    sync(a, b);
    a.set("desc:apple", "new");
    editText(b, "desc:apple", (t) => t.insert(3, "!"));
    sync(a, b);
    // "old" is gone (the write saw it); "new" and "!" both follow its deleted characters, so Yjs
    // orders them by author.
    expect(["new!", "!new"]).toContain(a.get("desc:apple"));
    expect(b.get("desc:apple")).toBe(a.get("desc:apple"));
  });

  it("an op that arrives before the op it builds on shows once that one arrives", () => {
    const [a, b] = pair();
    const ops: Uint8Array[] = [];
    a.onOp((o) => ops.push(o));
    editText(a, "desc:apple", (t) => t.insert(0, "ab"));
    editText(a, "desc:apple", (t) => t.insert(1, "X"));
    b.applyOp(ops[1] as Uint8Array);
    expect(b.get("desc:apple")).toBe("");
    b.applyOp(ops[0] as Uint8Array);
    expect(b.get("desc:apple")).toBe("aXb");
    expect(b.encodeState()).toEqual(a.encodeState());
  });

  it("rich text reads as a delta with attributes, merged like plain text", () => {
    const [a, b] = pair();
    editText(a, "note:apple", (t) => t.insert(0, "Crisp apple"));
    sync(a, b);
    editText(a, "note:apple", (t) => t.format(0, 5, { bold: true }));
    editText(b, "note:apple", (t) => t.insert(t.length, "!", { italic: true }));
    sync(a, b);
    const expected = [
      { insert: "Crisp", attributes: { bold: true } },
      { insert: " apple" },
      { insert: "!", attributes: { italic: true } },
    ];
    expect(a.get("note:apple")).toEqual(expected);
    expect(b.get("note:apple")).toEqual(expected);
    // What a read hands out is frozen: a caller cannot change what the next read returns.
    const read = a.get<{ insert: string }[]>("note:apple") ?? [];
    expect(Object.isFrozen(read) && Object.isFrozen(read[0])).toBe(true);
  });
});

describe("deletes are observed-remove", () => {
  it("a concurrent edit survives a delete; the key then reads as what that edit left", () => {
    const [a, b] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "Crisp apple."));
    sync(a, b);
    expect(a.delete("desc:apple")).toBe(true);
    editText(b, "desc:apple", (t) => t.insert(t.length, " Sold out."));
    sync(a, b);
    expect(a.has("desc:apple")).toBe(true);
    expect(a.get("desc:apple")).toBe(" Sold out.");
    expect(b.get("desc:apple")).toBe(" Sold out.");
    expect(a.conflicts("desc:apple").map((c) => [c.replica, c.value])).toEqual([[B, " Sold out."]]);
  });

  it("a delete that saw every edit removes the key everywhere, and compaction keeps it removed", () => {
    const [a, b] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "Crisp apple."));
    sync(a, b);
    b.delete("desc:apple");
    sync(a, b);
    for (const m of [a, b]) {
      expect(m.has("desc:apple")).toBe(false);
      expect(m.get("desc:apple")).toBeUndefined();
      expect(m.conflicts("desc:apple")).toEqual([]);
      expect([...m.keys()]).toEqual([]);
    }
    a.compact([b.versionVector()]);
    b.compact([a.versionVector()]);
    expect(a.encodeState()).toEqual(b.encodeState());
    editText(a, "desc:apple", (t) => t.insert(0, "Back."));
    sync(a, b);
    expect(b.get("desc:apple")).toBe("Back.");
  });
});

describe("compaction", () => {
  it("folds a quiescent key's updates into one base; replicas compacting at different times agree", () => {
    const [a, b] = pair();
    for (let i = 0; i < 20; i++) editText(a, "desc:apple", (t) => t.insert(t.length, `${i},`));
    sync(a, b);
    for (let i = 0; i < 5; i++) editText(b, "desc:apple", (t) => t.delete(0, 2));
    sync(a, b);
    const before = a.encodeState().length;
    a.compact([b.versionVector()]);
    expect(a.encodeState().length).toBeLessThan(before);
    editText(b, "desc:apple", (t) => t.insert(0, ">"));
    sync(a, b);
    a.compact([b.versionVector()]);
    b.compact([a.versionVector()]);
    expect(a.get("desc:apple")).toBe(b.get("desc:apple"));
    expect(a.encodeState()).toEqual(b.encodeState());
  });
});

describe("size: ops and deltas carry only their edits", () => {
  /** The op payload of a one-character edit in the middle of a text of `n` copies of a phrase. */
  const oneCharOp = (n: number): [Uint8Array, ReplicatedMap] => {
    const [a] = pair();
    editText(a, "desc:long", (t) => t.insert(0, "lorem ipsum ".repeat(n)));
    const ops: Uint8Array[] = [];
    a.onOp((o) => ops.push(o));
    editText(a, "desc:long", (t) => t.insert(t.length >> 1, "!"));
    expect(ops).toHaveLength(1);
    return [ops[0] as Uint8Array, a];
  };

  it("a one-character edit of a 10 KB text is an op of O(edit) bytes: the same for 100 KB", () => {
    const [op, a] = oneCharOp(850);
    expect(a.get<string>("desc:long")?.length).toBe(10_201);
    // About 60 bytes of op framing (checksum, fingerprint, dot, replica table, key) and a Yjs
    // update of about 40 (53-bit client ids: 8 bytes each in the struct and its two origins).
    expect(op.length).toBeLessThan(128);
    const [big] = oneCharOp(8_500);
    // Ten times the text: the three Yjs clocks in the update (its own, its two origins') each
    // take at most one more varint byte; nothing else grows.
    expect(big.length - op.length).toBeLessThanOrEqual(3);
    const [, b] = pair();
    b.applyState(a.encodeState());
    editText(b, "desc:long", (t) => t.delete(17, 1));
    a.applyDelta(b.encodeDelta(a.versionVector()));
    expect(a.get<string>("desc:long")?.length).toBe(10_200);
  });

  it("a batch of edits on two long texts is one op carrying only those edits", () => {
    const [a, b] = pair();
    editText(a, "desc:long", (t) => t.insert(0, "lorem ipsum ".repeat(850)));
    editText(a, "desc:other", (t) => t.insert(0, "dolor sit ".repeat(1000)));
    b.applyState(a.encodeState());
    const ops: Uint8Array[] = [];
    a.onOp((o) => ops.push(o));
    a.batch(() => {
      editText(a, "desc:long", (t) => t.insert(0, "1"));
      editText(a, "desc:other", (t) => t.insert(0, "2"));
      editText(a, "desc:long", (t) => t.insert(1, "3"));
      a.increment("stock:apple", 2);
    });
    expect(ops).toHaveLength(1);
    expect(ops[0]?.length).toBeLessThan(250);
    b.applyOp(ops[0] as Uint8Array);
    expect(b.get<string>("desc:long")?.slice(0, 8)).toBe("13lorem ");
    expect(b.get<string>("desc:other")?.slice(0, 7)).toBe("2dolor ");
    expect(b.encodeState()).toEqual(a.encodeState());
  });

  it("a delta after 100 edits carries only those edits", () => {
    const [a, b] = pair();
    editText(a, "desc:long", (t) => t.insert(0, "lorem ipsum ".repeat(850)));
    sync(a, b);
    const since = b.versionVector();
    const ops: Uint8Array[] = [];
    a.onOp((o) => ops.push(o));
    for (let i = 0; i < 100; i++) editText(a, "desc:long", (t) => t.insert((i * 97) % t.length, "*"));
    const delta = a.encodeDelta(since);
    // Each edit is about 40 bytes (its Yjs update and its dot; 3,987 B for the hundred when
    // measured): far from the 10 KB text, which the delta does not carry.
    expect(delta.length).toBeLessThan(100 * 50);
    expect(delta.length).toBeLessThan(ops.reduce((n, o) => n + o.length, 0));
    b.applyDelta(delta);
    expect(b.get("desc:long")).toBe(a.get("desc:long"));
    expect(b.get<string>("desc:long")?.split("*")).toHaveLength(101);
  });
});

describe("bad input changes nothing", () => {
  it("a value that is neither a string nor a textEdit is INVALID_VALUE", () => {
    const [a] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "ok"));
    const state = a.encodeState();
    for (const bad of [42, null, { insert: "x" }, new Uint8Array([1])]) {
      expect(
        isConvergeError(
          caught(() => a.set("desc:apple", bad)),
          "INVALID_VALUE",
        ),
      ).toBe(true);
    }
    expect(a.encodeState()).toEqual(state);
  });

  it("an edit that throws leaves the key, the clock's operations and the text as they were", () => {
    const [a] = pair();
    editText(a, "desc:apple", (t) => t.insert(0, "ok"));
    const state = a.encodeState();
    const boom = new Error("boom");
    expect(
      caught(() =>
        editText(a, "desc:apple", (t) => {
          t.insert(0, "half");
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(a.get("desc:apple")).toBe("ok");
    expect(a.encodeState()).toEqual(state);
    editText(a, "desc:apple", (t) => t.insert(2, "!"));
    expect(a.get("desc:apple")).toBe("ok!");
  });

  it("increment on a text key is UNSUPPORTED_OPERATION; textEdit wants a function", () => {
    const [a] = pair();
    expect(
      isConvergeError(
        caught(() => a.increment("desc:apple")),
        "UNSUPPORTED_OPERATION",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => textEdit(42 as never)),
        "INVALID_VALUE",
      ),
    ).toBe(true);
  });
});
