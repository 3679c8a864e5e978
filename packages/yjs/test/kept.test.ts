import type { Stamp } from "@converge/core";
import { DEFAULT_DECODE_LIMITS, StateReader, StateWriter } from "@converge/core/codec";
import { Timestamp } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { textEdit, yjsText } from "../src/index.ts";
import type { TextState } from "../src/text-state.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";
const stamp = (replica: string, seq: number): Stamp => ({
  replica,
  seq,
  time: new Timestamp(seq, 0, replica),
});

/** The state's bytes (as a payload carries them) and what `resolver` decodes of them. */
function received(
  resolver: ReturnType<typeof yjsText>,
  state: unknown,
): { bytes: Uint8Array; state: TextState } {
  const table: string[] = [];
  const w = new StateWriter(new Map(), table, 64);
  resolver.encode(state, w);
  const bytes = w.finish();
  const r = new StateReader(bytes, 0, bytes.length, table, DEFAULT_DECODE_LIMITS);
  return { bytes, state: resolver.decode(r) as TextState };
}

const inPayload = (s: TextState, payload: Uint8Array): boolean =>
  s.entries.some((e) => e.update.buffer === payload.buffer);

describe("forget: what a replica keeps of an incoming text state owns its bytes", () => {
  it("decode reads entries in place; forget copies the new ones and reuses the local state's equal ones", () => {
    const text = yjsText();
    const base = text.set?.(undefined, "Crisp apple.", stamp(A, 1)) as TextState;
    const fromA = text.set?.(
      base,
      textEdit((t) => t.insert(3, "A")),
      stamp(A, 2),
    ) as TextState;
    const fromB = text.set?.(
      base,
      textEdit((t) => t.insert(t.length, "B")),
      stamp(B, 1),
    ) as TextState;
    const { bytes, state } = received(text, fromB);
    expect(inPayload(state, bytes)).toBe(true); // views of the payload, no copy yet
    const seen = (replica: string, seq: number): boolean => replica === A && seq <= 2;
    const kept = text.forget?.(state, fromA, seen) as TextState;
    expect(inPayload(kept, bytes)).toBe(false);
    // A:1, held by the local state with the same bytes, is the local state's own entry object.
    expect(kept.entries.find((e) => e.replica === A)).toBe(fromA.entries.find((e) => e.replica === A));
    const before = [...(kept.entries.find((e) => e.replica === B)?.update ?? [])];
    bytes.fill(0); // the caller reuses its buffer: what was kept does not change
    expect([...(kept.entries.find((e) => e.replica === B)?.update ?? [])]).toEqual(before);
    expect(text.read(text.merge(fromA, kept))).toBe("CriAsp apple.B");
  });

  it("a key held nowhere keeps a copy of everything; a state of operations all seen is skipped", () => {
    const text = yjsText();
    const s = text.set?.(undefined, "Crisp apple.", stamp(A, 1)) as TextState;
    const { bytes, state } = received(text, s);
    const kept = text.forget?.(state, undefined, () => false) as TextState;
    expect(inPayload(kept, bytes)).toBe(false);
    expect(text.read(kept)).toBe("Crisp apple.");
    expect(text.forget?.(state, undefined, () => true)).toBeUndefined();
  });
});
