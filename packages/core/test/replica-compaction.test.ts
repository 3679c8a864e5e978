import { describe, expect, it } from "vitest";
import { versionVector } from "../src/index.ts";
import { replica } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("compaction", () => {
  it("collects tombstones and causal metadata every replica has seen, never changing a value", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    a.set("gone", 1);
    a.set("kept", 1);
    b.set("kept", 2);
    b.applyState(a.encodeState());
    a.applyState(b.encodeState());
    a.delete("gone");
    b.applyState(a.encodeState());
    const view = (m: typeof a) => JSON.stringify([...m.entries()].sort());
    const before = view(a);
    const sizeBefore = a.encodeState().length;
    // b has not told a what it has seen: nothing can go.
    expect(a.compact([versionVector()])).toBe(0);
    expect(a.compact([b.versionVector()])).toBeGreaterThan(0);
    expect(view(a)).toBe(before);
    expect(a.encodeState().length).toBeLessThan(sizeBefore);
    // A stale copy of the deleted key cannot resurrect it.
    a.applyState(b.encodeState());
    expect(a.has("gone")).toBe(false);
    expect(view(a)).toBe(before);
    // Deltas still work after compaction.
    b.set("fresh", 5);
    a.applyDelta(b.encodeDelta(a.versionVector()));
    expect(a.get("fresh")).toBe(5);
  });
});
