import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { asciiEnd, isUtf8, scanUpdate, validUtf8 } from "../src/update-scan.ts";
import { checkUpdate } from "../src/yjs-doc.ts";
import { applySpec, type EditSpec, editSpecs } from "./edits.ts";

const CLIENTS = [3, 2 ** 40 + 7, 2 ** 53 - 1];

/** The updates a history of edits by the clients writes: one per transaction. */
function updatesOf(history: readonly { client: number; spec: EditSpec }[]): Uint8Array[] {
  const docs = CLIENTS.map((c) => {
    const d = new Y.Doc();
    d.clientID = c;
    return d;
  });
  const out: Uint8Array[] = [];
  for (const [n, { client, spec }] of history.entries()) {
    const doc = docs[CLIENTS.indexOf(client)] as Y.Doc;
    const before = Y.encodeStateVector(doc);
    applySpec(doc.getText("t"), spec);
    out.push(Y.encodeStateAsUpdate(doc, before));
    // Now and then a sync, so later edits build on others' structs (origins of other clients).
    if (n % 3 === 2) for (const d of docs) if (d !== doc) Y.applyUpdate(d, Y.encodeStateAsUpdate(doc));
  }
  for (const d of docs) out.push(Y.encodeStateAsUpdate(d));
  return out;
}

const history = fc.array(fc.record({ client: fc.constantFrom(...CLIENTS), spec: editSpecs }), {
  minLength: 1,
  maxLength: 12,
});
const plain = (h: { client: number; spec: EditSpec }[]) =>
  h.map(({ client, spec }) =>
    "format" in spec
      ? { client, spec: { delete: spec.format, at: spec.at } }
      : { client, spec: { ...spec, bold: false } },
  );

/** What Yjs says: the update parses and every struct belongs to `clients`. */
function yjsAccepts(update: Uint8Array, clients: readonly number[]): boolean {
  try {
    return Y.decodeUpdate(update).structs.every((s) => clients.includes(s.id.client));
  } catch {
    return false;
  }
}

/** A valid update damaged one way: a byte changed, cut short, a byte inserted or removed. */
const damaged = (u: Uint8Array) =>
  fc.oneof(
    fc.tuple(fc.nat(u.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const x = u.slice();
      x[i] = b;
      return x;
    }),
    fc.nat(u.length - 1).map((n) => u.slice(0, n)),
    fc
      .tuple(fc.nat(u.length), fc.integer({ min: 0, max: 255 }))
      .map(([i, b]) => Uint8Array.from([...u.slice(0, i), b, ...u.slice(i)])),
    fc.nat(u.length - 1).map((i) => Uint8Array.from([...u.slice(0, i), ...u.slice(i + 1)])),
  );

describe("scanUpdate: the byte walk of plain-text updates", () => {
  const { seed, numRuns } = runConfig({}, 300);

  it("is sure of every update plain-text edits write (inserts, deletes, syncs)", () => {
    console.log(`[yjs scan] seed ${seed}, ${numRuns} runs; replay with CONVERGE_SEED=${seed}`);
    fc.assert(
      fc.property(history.map(plain), (h) => {
        for (const u of updatesOf(h)) {
          expect(scanUpdate(u, CLIENTS)).toBe(true);
          expect(yjsAccepts(u, CLIENTS)).toBe(true);
        }
      }),
      { seed, numRuns },
    );
  }, 60_000);

  it("is never sure of an update Yjs refuses or whose structs name a client outside the list", () => {
    fc.assert(
      fc.property(
        history.chain((h) => {
          const us = updatesOf(h);
          return fc.tuple(fc.constantFrom(...us).chain(damaged), fc.subarray(CLIENTS, { minLength: 1 }));
        }),
        ([u, clients]) => {
          if (scanUpdate(u, clients)) expect(yjsAccepts(u, clients)).toBe(true);
          // And the check the decoder runs agrees with Yjs whatever the scan said.
          expect(checkUpdate(u, clients) === undefined).toBe(yjsAccepts(u, clients));
        },
      ),
      { seed, numRuns: numRuns * 5 },
    );
  }, 120_000);

  // Regression (shrunk counterexample): the walk read a delete set's range count before its client.
  it("is sure of a delete-only update: no structs, one range of a 53-bit client", () => {
    const doc = new Y.Doc();
    doc.clientID = 2 ** 53 - 1;
    doc.getText("t").insert(0, "a");
    const before = Y.encodeStateVector(doc);
    doc.getText("t").delete(0, 1);
    const u = Y.encodeStateAsUpdate(doc, before);
    expect(Y.decodeUpdate(u).structs).toEqual([]);
    expect(scanUpdate(u, [2 ** 53 - 1])).toBe(true);
  });

  it("leaves rich text (formats) to Yjs, which accepts it", () => {
    const doc = new Y.Doc();
    doc.clientID = 3;
    doc.getText("t").insert(0, "Crisp", { bold: true });
    const u = Y.encodeStateAsUpdate(doc);
    expect(scanUpdate(u, [3])).toBe(false);
    expect(checkUpdate(u, [3])).toBeUndefined();
    expect(checkUpdate(u, [4])).toMatch(/client 3/);
  });
});

describe("isUtf8 reads as the fatal WHATWG decoder does", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const decodes = (b: Uint8Array): boolean => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const { seed, numRuns } = runConfig({}, 2000);
  // Bytes around every boundary of the UTF-8 tables, and plain ASCII.
  const edgy = fc.constantFrom(
    0x00,
    0x41,
    0x7f,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc1,
    0xc2,
    0xdf,
    0xe0,
    0xe1,
    0xec,
    0xed,
    0xee,
    0xef,
    0xf0,
    0xf1,
    0xf3,
    0xf4,
    0xf5,
    0xff,
  );

  it("agrees on random bytes near the boundaries", () => {
    fc.assert(
      fc.property(fc.array(edgy, { maxLength: 12 }), fc.nat(6), (bytes, pad) => {
        const b = Uint8Array.from([...Array(pad).fill(0x61), ...bytes]);
        expect(isUtf8(b, 0, b.length)).toBe(decodes(b));
      }),
      { seed, numRuns },
    );
  });

  it("accepts every encoded string, ASCII runs and all", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (s) => {
        const b = new TextEncoder().encode(s);
        expect(isUtf8(b, 0, b.length)).toBe(true);
      }),
      { seed, numRuns },
    );
  });
});

describe("validUtf8 and asciiEnd: the word-at-a-time checks of long strings", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const decodes = (b: Uint8Array): boolean => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const { seed, numRuns } = runConfig({}, 1000);
  // A long ASCII run (so the word path runs), a few arbitrary bytes somewhere in it, then more
  // ASCII or an encoded string, inside a buffer at any offset (aligned or not).
  const case_ = fc.record({
    before: fc.nat(300),
    odd: fc.uint8Array({ maxLength: 6 }),
    after: fc.oneof(
      fc.nat(300).map((n) => new Uint8Array(n).fill(0x61)),
      fc.string({ unit: "grapheme", maxLength: 60 }).map((s) => new TextEncoder().encode(s)),
    ),
    offset: fc.nat(7),
    tail: fc.nat(7),
  });

  it("agree with the fatal decoder and a byte loop, at any offset and length", () => {
    console.log(`[yjs validUtf8] seed ${seed}, ${numRuns} runs; replay with CONVERGE_SEED=${seed}`);
    fc.assert(
      fc.property(case_, ({ before, odd, after, offset, tail }) => {
        const body = Uint8Array.from([...new Uint8Array(before).fill(0x41), ...odd, ...after]);
        const buf = new Uint8Array(offset + body.length + tail).fill(0xff);
        buf.set(body, offset);
        const stop = offset + body.length;
        expect(validUtf8(buf, offset, stop)).toBe(decodes(body));
        let naive = offset;
        while (naive < stop && (buf[naive] as number) < 0x80) naive++;
        expect(asciiEnd(buf, offset, stop)).toBe(naive);
        // A view that starts inside a larger buffer reads the same.
        const view = buf.subarray(offset, stop);
        expect(validUtf8(view, 0, view.length)).toBe(decodes(body));
        expect(asciiEnd(view, 0, view.length)).toBe(naive - offset);
      }),
      { seed, numRuns },
    );
  });

  it("finds a high byte in every position of a long run", () => {
    for (let at = 0; at < 100; at++) {
      const b = new Uint8Array(100).fill(0x20);
      b[at] = 0x80;
      expect(asciiEnd(b, 0, 100)).toBe(at);
      expect(validUtf8(b, 0, 100)).toBe(false);
    }
  });
});
