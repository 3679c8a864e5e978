import { MAX_COUNTER } from "@converge/hlc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CausalContext } from "../src/causal-context.ts";
import type { ReplicatedMap, Value } from "../src/index.ts";
import { compileKeyRules } from "../src/key-rules.ts";
import { encodePayload } from "../src/payload/encode.ts";
import { encodeSingleWrite } from "../src/payload/single-write.ts";
import { Sibling, Siblings } from "../src/register/sibling.ts";
import { hex, replica, rules } from "./fixtures.ts";

// Every field of a write's dot and time may take any valid value: seqs up to 2^52 − 1, far apart
// or close, walls and counters at their limits. The fast lanes (packed 32-bit columns, the lone
// reader, the change log's buckets, format 3's seq deltas) must read them exactly as the general
// paths do. Each replica is checked against an oracle of the writes it applied.

const compiled = compileKeyRules(rules);
const REPLICAS = ["000000000000000a", "000000000000000b", "00000000000000ff"] as const;
// Non-ASCII keys too: UTF-8 order differs from UTF-16 order past U+FFFF ("k\u{10000}" sorts
// before "k\uFFFF" in JavaScript, after it in UTF-8), and keys share multi-byte prefixes.
const KEYS = ["k0", "k1", "k\u00e9", "k\uFFFF", "k\u{10000}", "mv:0", "mv:\u00e9a", "mv:\u00e9b"] as const;
/** The replicas' clock: every write's wall is at or before it. */
const NOW = 2 ** 47;

interface Write {
  readonly key: string;
  readonly replica: string;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  /** Undefined: a delete (a tombstone whose clock holds just its own dot). */
  readonly value: Value | undefined;
}

const seqArb = fc.oneof(
  fc.integer({ min: 1, max: 600 }),
  fc.integer({ min: 2 ** 32 - 300, max: 2 ** 32 + 300 }),
  fc.integer({ min: 1, max: 2 ** 52 - 1 }),
  fc.integer({ min: 2 ** 52 - 600, max: 2 ** 52 - 1 }),
);
const writeArb = fc.record({
  key: fc.constantFrom(...KEYS),
  replica: fc.constantFrom(...REPLICAS),
  seq: seqArb,
  wall: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: NOW - 5000, max: NOW })),
  counter: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(MAX_COUNTER)),
  value: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(undefined)),
});
// One write per dot (a dot names one operation).
const historyArb = fc
  .uniqueArray(writeArb, { minLength: 1, maxLength: 24, selector: (w) => `${w.replica}/${w.seq}` })
  .chain((writes) =>
    fc.tuple(fc.constant(writes), fc.shuffledSubarray(writes, { minLength: writes.length })),
  );

function later(a: Write, b: Write): boolean {
  if (a.wall !== b.wall) return a.wall > b.wall;
  if (a.counter !== b.counter) return a.counter > b.counter;
  return a.replica > b.replica;
}

/**
 * What a key reads after `writes`: per replica its highest seq survives (nothing when that is a
 * delete); lww reads the newest, mv all, newest first.
 */
function oracle(writes: readonly Write[], key: string): unknown {
  const survivors = new Map<string, Write>();
  for (const w of writes) {
    if (w.key !== key) continue;
    const held = survivors.get(w.replica);
    if (held === undefined || w.seq > held.seq) survivors.set(w.replica, w);
  }
  const newestFirst = [...survivors.values()]
    .filter((w) => w.value !== undefined)
    .sort((a, b) => (later(a, b) ? -1 : 1));
  if (newestFirst.length === 0) return undefined;
  return key.startsWith("mv:") ? newestFirst.map((w) => w.value) : newestFirst[0]?.value;
}

/** A write as a single-write op (a delete, which that layout cannot carry, as a general op). */
function single(w: Write): Uint8Array {
  if (w.value === undefined) return general(w);
  return encodeSingleWrite(
    compiled.fingerprint,
    w.key,
    w.replica,
    w.seq,
    w.wall,
    w.counter,
    w.value,
  ) as Uint8Array;
}

function general(w: Write): Uint8Array {
  const dot = new CausalContext();
  dot.add(w.replica, w.seq);
  const state =
    w.value === undefined
      ? new Siblings([], [w.replica, w.seq])
      : new Sibling(w.replica, w.seq, w.wall, w.counter, w.value);
  return encodePayload("op", compiled.fingerprint, dot, [
    { key: w.key, resolver: compiled.resolverFor(w.key), state },
  ]);
}

function fresh(node: string): ReplicatedMap {
  return replica(node, { now: NOW });
}

function reads(map: ReplicatedMap): unknown[] {
  return KEYS.map((k) => map.get(k));
}

describe("writes with extreme dots and times", () => {
  it("read as the oracle says, by every path, to byte-identical states", async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async ([writes, shuffled]) => {
        const expected = KEYS.map((k) => oracle(writes, k));
        const bySingle = fresh("0000000000000001");
        for (const w of writes) bySingle.applyOp(single(w));
        const byGeneral = fresh("0000000000000002");
        for (const w of shuffled) byGeneral.applyOp(general(w));
        const byAsync = fresh("0000000000000003");
        for (const w of shuffled) await byAsync.applyAsync(general(w));
        const byAsyncSingle = fresh("0000000000000007");
        for (const w of writes) await byAsyncSingle.applyAsync(single(w));
        const byState = fresh("0000000000000004");
        byState.applyState(byGeneral.encodeState());
        const byDelta = fresh("0000000000000005");
        byDelta.applyDelta(bySingle.encodeDelta(byDelta.versionVector()));
        // Half the writes first, then a delta from what it has.
        const byHalf = fresh("0000000000000006");
        for (const w of shuffled.slice(0, shuffled.length >> 1)) byHalf.applyOp(single(w));
        byHalf.applyDelta(byGeneral.encodeDelta(byHalf.versionVector()));
        const all = [bySingle, byGeneral, byAsync, byAsyncSingle, byState, byDelta, byHalf];
        for (const map of all) expect(reads(map)).toEqual(expected);
        const bytes = hex(bySingle.encodeState());
        for (const map of all) expect(hex(map.encodeState())).toBe(bytes);
        // Every write is a duplicate now, on every path.
        for (const w of writes) expect(byState.applyOp(single(w)).duplicate).toBe(true);
        expect(hex(byState.encodeState())).toBe(bytes);
      }),
    );
  });
});
