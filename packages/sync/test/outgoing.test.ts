import { describe, expect, it } from "vitest";
import { outgoing } from "../src/_internals/outgoing.ts";
import { sharedPacking } from "../src/_internals/shared-packing.ts";
import { decodeFrames, encodeMessage } from "../src/index.ts";

/** A defer the test runs by hand. */
function manual() {
  let pending: (() => void)[] = [];
  return {
    defer: (fn: () => void) => {
      pending.push(fn);
    },
    run: () => {
      const now = pending;
      pending = [];
      for (const fn of now) fn();
    },
  };
}

describe("outgoing", () => {
  it("packs each connection's frames on its own without sharedPacking", () => {
    const turn = manual();
    const written: [string, Uint8Array][] = [];
    const out = outgoing<string>(1 << 20, (c, f) => written.push([c, f]), turn.defer);
    const ops = [1, 2].map((n) => encodeMessage({ type: "pong", nonce: n }));
    for (const c of ["a", "b"]) for (const f of ops) out.push(c, f);
    turn.run();
    expect(written).toHaveLength(2);
    expect(written[1]?.[1]).not.toBe(written[0]?.[1]);
    expect(written[1]?.[1]).toEqual(written[0]?.[1]);
  });

  it("packs the same frames once for every connection that gets just them, in order", () => {
    const turn = manual();
    const written: [string, Uint8Array][] = [];
    const out = outgoing<string>(1 << 20, (c, f) => written.push([c, f]), turn.defer, sharedPacking);
    const ops = [1, 2, 3].map((n) => encodeMessage({ type: "pong", nonce: n }));
    const ack = encodeMessage({ type: "pong", nonce: 9 });
    for (const c of ["a", "b", "c"]) for (const f of ops) out.push(c, f);
    out.push("b", ack);
    turn.run();
    const of = (c: string) => written.filter(([w]) => w === c).map(([, f]) => f);
    // One write each; a and c share the packed bytes, b (with its ack) has its own.
    expect(of("a")).toHaveLength(1);
    expect(of("c")[0]).toBe(of("a")[0]);
    expect(of("b")[0]).not.toBe(of("a")[0]);
    const nonces = (c: string) =>
      of(c)
        .flatMap((f) => decodeFrames(f))
        .map((m) => (m.type === "pong" ? m.nonce : -1));
    expect(nonces("a")).toEqual([1, 2, 3]);
    expect(nonces("c")).toEqual([1, 2, 3]);
    expect(nonces("b")).toEqual([1, 2, 3, 9]);
    // The same frames in another order are not a packing kept: packed afresh.
    written.length = 0;
    for (const f of [...ops].reverse()) out.push("a", f);
    turn.run();
    expect(nonces("a")).toEqual([3, 2, 1]);
  });
});
