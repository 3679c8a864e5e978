import type { Stamp } from "@converge/core";
import { DEFAULT_DECODE_LIMITS, StateReader, StateWriter } from "@converge/core/codec";
import { Timestamp } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { createEntryArena, detach } from "../src/entry-arena.ts";
import { textEdit, yjsText } from "../src/index.ts";
import type { TextState } from "../src/text-state.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const stamp = (replica: string, seq: number): Stamp => ({
  replica,
  seq,
  time: new Timestamp(seq, 0, replica),
});

/** The state's bytes, decoded again by `resolver` (as an apply decodes a payload's entry). */
function roundTrip(resolver: ReturnType<typeof yjsText>, state: unknown): TextState {
  const table: string[] = [];
  const w = new StateWriter(new Map(), table, 64);
  resolver.encode(state, w);
  const bytes = w.finish();
  const r = new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS);
  return resolver.decode(r) as TextState;
}

const pinsAChunk = (s: TextState): boolean =>
  s.entries.some((e) => e.update.byteLength !== e.update.buffer.byteLength);

describe("decode arena: what a replica keeps of an incoming state owns its bytes", () => {
  it("decoded entries share chunks; forget detaches those the key does not hold, and merge keeps them so", () => {
    const text = yjsText();
    const base = text.set?.(undefined, "Crisp apple.", stamp(A, 1));
    const fromA = text.set?.(
      base,
      textEdit((t) => t.insert(3, "A")),
      stamp(A, 2),
    );
    const fromB = text.set?.(
      base,
      textEdit((t) => t.insert(t.length, "B")),
      stamp(B, 1),
    );
    const received = roundTrip(text, fromB);
    expect(pinsAChunk(received)).toBe(true); // both entries sit in the arena's chunk
    const seen = (replica: string, seq: number): boolean => replica === A && seq <= 2;
    const kept = text.forget?.(received, fromA, seen) as TextState;
    // A:1 is held by the local state (its copy is the one a merge keeps); B:1 is copied out.
    const b1 = kept.entries.find((e) => e.replica === B);
    expect(b1?.update.byteLength).toBe(b1?.update.buffer.byteLength);
    const merged = text.merge(fromA as TextState, kept) as TextState;
    expect(pinsAChunk(merged)).toBe(false);
    expect(text.read(merged)).toBe("CriAsp apple.B");
    // A key held nowhere: everything is copied out; a state of seen operations is skipped.
    expect(pinsAChunk(text.forget?.(received, undefined, () => false) as TextState)).toBe(false);
    expect(text.forget?.(received, undefined, () => true)).toBeUndefined();
  });

  it("copies bytes (the payload's are the caller's), long ones into their own buffer", () => {
    const arena = createEntryArena();
    const src = Uint8Array.from([1, 2, 3]);
    const copy = arena.copy(src);
    src[0] = 9;
    expect([...copy]).toEqual([1, 2, 3]);
    const long = new Uint8Array(5000).fill(7);
    const own = arena.copy(long);
    expect(own.byteLength).toBe(own.buffer.byteLength);
    expect(detach(copy)).not.toBe(copy);
    expect([...detach(copy)]).toEqual([1, 2, 3]);
    expect(detach(own)).toBe(own);
  });
});
