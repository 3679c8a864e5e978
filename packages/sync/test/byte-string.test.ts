import { describe, expect, it } from "vitest";
import { fromByteString, toByteString } from "../src/_internals/byte-string.ts";

describe("byte strings (how a memory store and a sleeping document keep bytes)", () => {
  it("round-trips every byte value, and nothing", () => {
    const all = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
    const s = toByteString(all);
    expect(s.length).toBe(all.length);
    expect([...s].every((c) => c.charCodeAt(0) < 256)).toBe(true);
    expect(fromByteString(s)).toEqual(all);
    expect(fromByteString(toByteString(new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it("round-trips a large payload (more bytes than a call takes arguments)", () => {
    let x = 12345;
    const big = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, () => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x >>> 24;
    });
    const back = fromByteString(toByteString(big));
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(back, big)).toBe(0);
  });

  it("gives a fresh array each time: a caller may change what it got", () => {
    const s = toByteString(new Uint8Array([1, 2, 3]));
    const a = fromByteString(s);
    a[0] = 9;
    expect(fromByteString(s)).toEqual(new Uint8Array([1, 2, 3]));
  });
});
