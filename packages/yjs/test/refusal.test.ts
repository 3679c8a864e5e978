import { createReplicatedMap, isConvergeError, type KeyRulesConfig } from "@converge/core";
import { sealPayload, unsealPayload } from "@converge/core/testing";
import { lww } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { clientIdOf, editText, YJS_MAJOR, yjsRichText, yjsText } from "../src/index.ts";
import { textResolver } from "../src/text-resolver.ts";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isConvergeError(e) ? e.code : String(e);
  }
  return undefined;
}

const make = (node: string, rules: KeyRulesConfig) =>
  createReplicatedMap({ resolvers: rules, clockOptions: { node } });

describe("replicas on another Yjs major refuse each other", () => {
  it("pins the Yjs major in the resolver version: yjs-text@1301", () => {
    expect(YJS_MAJOR).toBe(13);
    expect([yjsText().id, yjsText().version]).toEqual(["yjs-text", 1301]);
    expect([yjsRichText().id, yjsRichText().version]).toEqual(["yjs-richtext", 1301]);
  });

  it("a state, delta or op written under Yjs 13 is refused by a replica on Yjs 14, which stays unchanged", () => {
    const on13 = make("00000000000000a1", { default: lww(), keys: { "desc:*": yjsText() } });
    const ops: Uint8Array[] = [];
    on13.onOp((o) => ops.push(o));
    editText(on13, "desc:apple", (t) => t.insert(0, "Crisp."));
    const next = textResolver<string>({ rich: false, major: 14 });
    expect(next.version).toBe(1401);
    const on14 = make("00000000000000b2", { default: lww(), keys: { "desc:*": next } });
    editText(on14, "desc:apple", (t) => t.insert(0, "Mine."));
    const before = on14.encodeState();
    const refusals = [
      codeOf(() => on14.applyState(on13.encodeState())),
      codeOf(() => on14.applyDelta(on13.encodeDelta(on14.versionVector()))),
      codeOf(() => on14.applyOp(ops[0] as Uint8Array)),
    ];
    expect(refusals).toEqual(["RESOLVER_VERSION", "RESOLVER_VERSION", "RESOLVER_VERSION"]);
    expect(on14.encodeState()).toEqual(before);
    expect(on14.get("desc:apple")).toBe("Mine.");
    // And the other way round.
    expect(codeOf(() => on13.applyState(before))).toBe("RESOLVER_VERSION");
  });

  it("a replica without text keys refuses a text state as UNKNOWN_RESOLVER", () => {
    const writer = make("00000000000000a1", { default: lww(), keys: { "desc:*": yjsText() } });
    editText(writer, "desc:apple", (t) => t.insert(0, "Crisp."));
    const plain = make("00000000000000b2", { default: lww() });
    expect(codeOf(() => plain.applyState(writer.encodeState()))).toBe("UNKNOWN_RESOLVER");
    expect(plain.size).toBe(0);
  });
});

/** `n` as a Yjs (lib0) unsigned varint. */
function varUint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push(0x80 | (v % 0x80));
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function indexOfBytes(hay: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe("forged text states are refused whole", () => {
  it("an entry whose Yjs structs claim another replica's client id is DECODE_MALFORMED", () => {
    const rules = { default: lww(), keys: { "desc:*": yjsText() } };
    const writer = make("00000000000000a1", rules);
    editText(writer, "desc:apple", (t) => t.insert(0, "Crisp."));
    const content = unsealPayload(writer.encodeState());
    const mine = varUint(clientIdOf("00000000000000a1"));
    let other = varUint(clientIdOf("00000000000000b2"));
    for (let k = 3; other.length !== mine.length; k++) other = varUint(clientIdOf(`00000000000000${k}3`));
    const at = indexOfBytes(content, mine);
    expect(at).toBeGreaterThan(0);
    const forged = content.slice();
    forged.set(other, at);
    const reader = make("00000000000000c3", rules);
    expect(codeOf(() => reader.applyState(sealPayload(forged)))).toBe("DECODE_MALFORMED");
    // The untouched payload is accepted.
    reader.applyState(sealPayload(content));
    expect(reader.get("desc:apple")).toBe("Crisp.");
  });

  it("a truncated Yjs update is refused, not half read", () => {
    const rules = { default: lww(), keys: { "desc:*": yjsText() } };
    const writer = make("00000000000000a1", rules);
    editText(writer, "desc:apple", (t) => t.insert(0, "Crisp."));
    const content = unsealPayload(writer.encodeState());
    const text = new TextEncoder().encode("Crisp.");
    const at = indexOfBytes(content, [...text]);
    expect(at).toBeGreaterThan(0);
    // Shorten the string inside the update by one byte: the update no longer parses.
    const forged = content.slice();
    forged[at - 1] = (forged[at - 1] as number) + 40;
    const reader = make("00000000000000c3", rules);
    expect(["DECODE_MALFORMED", "DECODE_TRUNCATED"]).toContain(
      codeOf(() => reader.applyState(sealPayload(forged))),
    );
    expect(reader.size).toBe(0);
  });

  // The word-at-a-time UTF-8 check: one bad byte deep inside a 1 KB text of the last of many keys.
  it("a long text with one byte that is not UTF-8 is refused whole, sync or async; the replica is unchanged", async () => {
    const rules = { default: lww(), keys: { "desc:*": yjsText() } };
    const long = "Crisp, sweet and grown in Kent; ".repeat(32);
    const writer = make("00000000000000a1", rules);
    for (let i = 0; i < 40; i++) editText(writer, `desc:${i}`, (t) => t.insert(0, `${i} ${long}`));
    const reader = make("00000000000000c3", rules);
    reader.set("price", 1);
    const before = reader.encodeState();
    const content = unsealPayload(writer.encodeState());
    const at = content.lastIndexOf(new TextEncoder().encode("K")[0] as number);
    expect(at).toBeGreaterThan(content.length / 2);
    for (const bad of [0x80, 0xc0, 0xff]) {
      const forged = content.slice();
      forged[at] = bad;
      expect(codeOf(() => reader.applyState(sealPayload(forged)))).toBe("DECODE_MALFORMED");
      let code: string | undefined;
      try {
        await reader.applyAsync(sealPayload(forged), { chunkSize: 8 });
      } catch (e) {
        code = isConvergeError(e) ? e.code : String(e);
      }
      expect(code).toBe("DECODE_MALFORMED");
      expect(reader.encodeState()).toEqual(before);
    }
    reader.applyState(sealPayload(content));
    expect(reader.get("desc:39")).toBe(`39 ${long}`);
  });
});
