import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../src/index.ts";
import { replica } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("reads and local writes", () => {
  it("tracks size, has, get, entries and conflicts", () => {
    const t = { now: 1000 };
    const m = replica(A, t);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 3);
    expect(m.size).toBe(2);
    expect(m.get("a")).toBe(3);
    expect(m.delete("a")).toBe(true);
    expect(m.delete("a")).toBe(false);
    expect(m.has("a")).toBe(false);
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(1);
    expect([...m.entries()]).toEqual([["b", 2]]);
    expect([...m.keys()]).toEqual(["b"]);
    expect(m.conflicts("b").map((c) => [c.value, c.replica, c.seq])).toEqual([[2, A, 2]]);
    expect(m.conflicts("nothing")).toEqual([]);
  });

  it("emits local and remote change events", () => {
    const t = { now: 1000 };
    const a = replica(A, t);
    const b = replica(B, t);
    const events: ChangeEvent[] = [];
    const stop = b.subscribe((e) => events.push(e));
    b.set("x", 1);
    a.set("y", 2);
    b.applyState(a.encodeState());
    b.delete("x");
    stop();
    b.set("z", 3);
    expect(events.map((e) => [e.origin, e.changes.map((c) => [c.key, c.previous, c.value])])).toEqual([
      ["local", [["x", undefined, 1]]],
      ["remote", [["y", undefined, 2]]],
      ["local", [["x", 1, undefined]]],
    ]);
  });
});
