import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { replica } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("snapshots", () => {
  it("are immutable views that later writes and merges never touch", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    a.set("a", 1);
    a.set("b", 2);
    const s1 = a.snapshot();
    a.set("a", 10);
    a.delete("b");
    a.set("c", 3);
    const s2 = a.snapshot();
    b.set("d", 4);
    a.applyState(b.encodeState());
    a.set("a", 100);
    const s3 = a.snapshot();
    const dump = (s: typeof s1) => JSON.stringify([...s.entries()].sort());
    expect(dump(s1)).toBe(
      JSON.stringify([
        ["a", 1],
        ["b", 2],
      ]),
    );
    expect(s1.size).toBe(2);
    expect(s1.has("c")).toBe(false);
    expect(dump(s2)).toBe(
      JSON.stringify([
        ["a", 10],
        ["c", 3],
      ]),
    );
    expect(s2.get("b")).toBeUndefined();
    expect(dump(s3)).toBe(
      JSON.stringify([
        ["a", 100],
        ["c", 3],
        ["d", 4],
      ]),
    );
    expect(s1.versionVector.get(A)).toBe(2);
    expect(s3.versionVector.get(B)).toBe(1);
  });

  it("taking one without writes in between reuses the same link (O(1), no chain growth)", () => {
    const a = replica(A, { now: 1000 });
    for (let i = 0; i < 1000; i++) a.set(`k${i}`, i);
    const first = a.snapshot();
    for (let i = 0; i < 1000; i++) a.snapshot();
    a.set("k0", -1);
    expect(first.get("k0")).toBe(0);
    expect(a.snapshot().get("k0")).toBe(-1);
  });

  it("every snapshot equals the map at the time it was taken (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("set", "del", "snap"), fc.constantFrom("a", "b", "c"), fc.nat(9)), {
          maxLength: 40,
        }),
        (steps) => {
          const m = replica(A, { now: 1000 });
          const taken: [ReturnType<typeof m.snapshot>, string][] = [];
          const dump = (it: Iterable<[string, unknown]>) => JSON.stringify([...it].sort());
          for (const [op, key, v] of steps) {
            if (op === "set") m.set(key, v);
            else if (op === "del") m.delete(key);
            else taken.push([m.snapshot(), dump(m.entries())]);
          }
          for (const [snap, expected] of taken) expect(dump(snap.entries())).toBe(expected);
        },
      ),
    );
  });
});

describe("snapshot iteration", () => {
  it("never shows writes made while the snapshot is being iterated — found in review", () => {
    const m = replica(A, { now: 1000 });
    for (const k of ["a", "b", "c"]) m.set(k, 1);
    const snap = m.snapshot();
    const it = snap.entries();
    it.next();
    m.set("b", 2);
    m.set("zz", 9);
    m.delete("c");
    const rest = [...it];
    const seen = new Map([...rest]);
    expect(seen.has("zz")).toBe(false);
    expect([...snap.entries()].sort()).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 1],
    ]);
    for (const [k, v] of rest) expect(v).toBe(snap.get(k));
  });
});
