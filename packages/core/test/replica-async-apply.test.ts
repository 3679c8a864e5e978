import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isConvergeError } from "../src/index.ts";
import { hex, replica } from "./fixtures.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

describe("chunked asynchronous apply", () => {
  it("equals the blocking apply at the end of decoding, with the writes made before and after it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(59), fc.nat(9)), { maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(59), fc.oneof(fc.nat(9), fc.constant(-1))), { maxLength: 12 }),
        fc.integer({ min: 1, max: 16 }),
        async (remoteWrites, localWrites, chunkSize) => {
          const build = () => {
            const t = { now: 1000 };
            const a = replica(A, t);
            const b = replica(B, t);
            for (let i = 0; i < 60; i++) a.set(`k${i}`, i);
            b.applyState(a.encodeState());
            for (const [k, v] of remoteWrites) b.set(`k${k}`, v);
            return { a, b, payload: b.encodeState() };
          };
          const write = (m: ReturnType<typeof replica>, [k, v]: [number, number]) =>
            v < 0 ? m.delete(`k${k}`) : m.set(`k${k}`, v * 100);
          const blocking = build();
          const chunked = build();
          // Writes made while decoding come before the merge; writes made while merging come after.
          let next = 0;
          let beforeMerge = 0;
          await chunked.a.applyAsync(chunked.payload, {
            chunkSize,
            yieldTo: async (phase) => {
              const w = localWrites[next++];
              if (w === undefined) return;
              if (phase === "decode") beforeMerge = next;
              write(chunked.a, w);
            },
          });
          for (const w of localWrites.slice(0, beforeMerge)) write(blocking.a, w);
          blocking.a.applyState(blocking.payload);
          for (const w of localWrites.slice(beforeMerge)) write(blocking.a, w);
          for (; next < localWrites.length; next++) write(chunked.a, localWrites[next] as [number, number]);

          const dump = (m: ReturnType<typeof replica>) => JSON.stringify([...m.entries()].sort());
          expect(dump(chunked.a)).toBe(dump(blocking.a));
          expect(hex(chunked.a.encodeState())).toBe(hex(blocking.a.encodeState()));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses a bad payload before changing anything", async () => {
    const a = replica(A, { now: 1000 });
    a.set("x", 1);
    const before = hex(a.encodeState());
    const error = await a.applyAsync(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(isConvergeError(error)).toBe(true);
    expect(hex(a.encodeState())).toBe(before);
  });
});
