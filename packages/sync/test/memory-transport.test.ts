import { describe, expect, it } from "vitest";
import { type CloseInfo, memoryTransportPair } from "../src/index.ts";

describe("memoryTransportPair", () => {
  it("delivers copies in order after the sender's synchronous code, then the close once to each end", async () => {
    const [a, b] = memoryTransportPair();
    const got: number[][] = [];
    const closes: CloseInfo[] = [];
    b.onFrame((f) => got.push([...f]));
    a.onClose((i) => closes.push(i));
    b.onClose((i) => closes.push(i));
    const buf = new Uint8Array([1, 2]);
    a.send(buf);
    buf[0] = 9; // the sender may reuse its buffer
    a.send(new Uint8Array([3]));
    expect(got).toEqual([]);
    a.close(4400, "bye");
    a.send(new Uint8Array([7])); // dropped: closed
    expect(a.isOpen()).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(got).toEqual([[1, 2], [3]]);
    expect(closes).toEqual([
      { code: 4400, reason: "bye", local: true },
      { code: 4400, reason: "bye", local: false },
    ]);
    a.close();
    b.close();
    await Promise.resolve();
    expect(closes).toHaveLength(2);
  });

  it("in sync mode delivers inside send", () => {
    const [a, b] = memoryTransportPair({ delivery: "sync" });
    const got: number[] = [];
    a.onFrame((f) => got.push(f[0] ?? -1));
    b.send(new Uint8Array([5]));
    expect(got).toEqual([5]);
    b.close();
    expect(a.isOpen()).toBe(false);
    b.send(new Uint8Array([6]));
    expect(got).toEqual([5]);
  });
});
