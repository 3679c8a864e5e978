import { describe, expect, it } from "vitest";
import { type CloseInfo, TransportListeners } from "../src/index.ts";

const frame = (n: number): Uint8Array => new Uint8Array([n]);
const info: CloseInfo = { code: 4001, reason: "done", local: true };

describe("TransportListeners", () => {
  it("calls listeners in the order added, each once however often it was added", () => {
    const ls = new TransportListeners();
    const calls: string[] = [];
    const a = (f: Uint8Array): void => {
      calls.push(`a${f[0]}`);
    };
    ls.onFrame(a);
    ls.onFrame((f) => calls.push(`b${f[0]}`));
    ls.onFrame(a);
    ls.frame(frame(1));
    expect(calls).toEqual(["a1", "b1"]);
  });

  it("a delivery goes to the listeners present when it starts", () => {
    const ls = new TransportListeners();
    const calls: string[] = [];
    let offB = (): void => {};
    ls.onFrame(() => {
      calls.push("a");
      offB();
      ls.onFrame(() => calls.push("late"));
    });
    offB = ls.onFrame(() => calls.push("b"));
    ls.frame(frame(1));
    expect(calls).toEqual(["a", "b"]);
    calls.length = 0;
    ls.frame(frame(2));
    // b is gone; "late" was added once per delivery of a, and counts from the next.
    expect(calls).toEqual(["a", "late"]);
  });

  it("unsubscribing is idempotent and stops that listener only", () => {
    const ls = new TransportListeners();
    const calls: string[] = [];
    const off = ls.onFrame(() => calls.push("a"));
    ls.onFrame(() => calls.push("b"));
    off();
    off();
    ls.frame(frame(1));
    expect(calls).toEqual(["b"]);
  });

  it("delivers the close once, stops a delivery it interrupts, and ignores later listeners", () => {
    const ls = new TransportListeners();
    const calls: string[] = [];
    ls.onClose((i) => calls.push(`close ${i.code}`));
    ls.onFrame(() => {
      calls.push("a");
      expect(ls.end(info)).toBe(true);
    });
    ls.onFrame(() => calls.push("b"));
    ls.frame(frame(1));
    expect(calls).toEqual(["a", "close 4001"]);
    expect(ls.ended).toBe(true);
    expect(ls.end(info)).toBe(false);
    let late = 0;
    ls.onFrame(() => late++)();
    ls.onClose(() => late++);
    ls.frame(frame(2));
    ls.end(info);
    expect(late).toBe(0);
    expect(calls).toEqual(["a", "close 4001"]);
  });
});
