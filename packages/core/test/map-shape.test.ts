import { describe, expect, it } from "vitest";
import { replica } from "./fixtures.ts";

// A getter of a map's own (in the factory's object literal, or defined per map) puts every map in
// V8's dictionary mode: 1.6 KB of properties per map against ~0.3 KB. `size` is one getter on a
// prototype all maps share; the rest are the map's own functions.
describe("a map's shape", () => {
  it("keeps `size` on a prototype shared by every map, reading each map's own count", () => {
    const time = { now: 1_764_000_000_000 };
    const a = replica("000000000000000a", time);
    const b = replica("000000000000000b", time);
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    expect(Object.hasOwn(a, "size")).toBe(false);
    expect(Object.getOwnPropertyDescriptor(a, "get")?.value).toBeTypeOf("function");
    a.set("x", 1);
    a.set("y", 2);
    b.set("x", 3);
    expect([a.size, b.size]).toEqual([2, 1]);
    a.delete("x");
    expect([a.size, b.size]).toEqual([1, 1]);
  });
});
