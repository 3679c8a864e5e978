import { describe, expect, it } from "vitest";
import { memoryTransportPair, type Transport } from "../src/index.ts";
import { runTransportTests } from "../src/testing/index.ts";

runTransportTests(
  "memoryTransportPair (microtask delivery)",
  () => {
    const [a, b] = memoryTransportPair();
    return { a, b };
  },
  { describe, it },
);

runTransportTests(
  "memoryTransportPair (sync delivery)",
  () => {
    const [a, b] = memoryTransportPair({ delivery: "sync" });
    return { a, b };
  },
  { describe, it },
);

/** The kit's tests for `setup`, collected with a stand-in framework and run here one by one. */
async function failures(setup: () => { a: Transport; b: Transport }): Promise<string[]> {
  const tests: { title: string; body: () => Promise<void> }[] = [];
  runTransportTests(
    "mutant",
    setup,
    {
      describe: (_name, body) => body(),
      it: (title, body) => tests.push({ title, body }),
    },
    { timeoutMs: 300, manyFrames: 200 },
  );
  const failed: string[] = [];
  for (const t of tests) {
    try {
      await t.body();
    } catch {
      failed.push(t.title);
    }
  }
  return failed;
}

/** A memory pair with one transport's behaviour changed by `mutate`. */
function mutant(mutate: (t: Transport, side: 0 | 1) => Transport): () => { a: Transport; b: Transport } {
  return () => {
    const [a, b] = memoryTransportPair();
    return { a: mutate(a, 0), b: mutate(b, 1) };
  };
}

describe("runTransportTests catches broken transports", () => {
  it("passes the real memory transport (no test fails)", async () => {
    expect(await failures(mutant((t) => t))).toEqual([]);
  });

  it.each<[string, (t: Transport, side: 0 | 1) => Transport, string]>([
    [
      "does not copy on send",
      (t) => ({ ...t, send: (f) => queueMicrotask(() => t.send(f)) }),
      "copies the bytes",
    ],
    [
      "reorders frames",
      (t) => {
        let held: Uint8Array | undefined;
        return {
          ...t,
          send: (f) => {
            if (held === undefined) held = f.slice();
            else {
              t.send(f);
              t.send(held);
              held = undefined;
            }
          },
        };
      },
      "in order",
    ],
    [
      "fires onClose twice",
      (t) => ({
        ...t,
        onClose: (l) =>
          t.onClose((i) => {
            l(i);
            l(i);
          }),
      }),
      "exactly once",
    ],
    [
      "throws on send after close",
      (t) => ({
        ...t,
        send: (f) => {
          if (!t.isOpen()) throw new Error("closed");
          t.send(f);
        },
      }),
      "send never throws",
    ],
    [
      "defaults close to 1005",
      (t) => ({ ...t, close: (code = 1005, reason = "") => t.close(code, reason) }),
      "1000",
    ],
    ["reports negative pending bytes", (t) => ({ ...t, pendingBytes: () => -1 }), "pendingBytes"],
    [
      "calls listeners added after close",
      (t) => ({
        ...t,
        onClose: (l) => {
          if (!t.isOpen()) {
            queueMicrotask(() => l({ code: 1000, reason: "", local: false }));
            return () => {};
          }
          return t.onClose(l);
        },
      }),
      "added after close",
    ],
    [
      "ignores unsubscribe",
      (t) => ({
        ...t,
        onFrame: (l) => {
          t.onFrame(l);
          return () => {};
        },
      }),
      "unsubscribing",
    ],
  ])("fails a transport that %s", async (_what, mutate, law) => {
    const failed = await failures(mutant(mutate));
    expect(
      failed.some((title) => title.includes(law)),
      failed.join("; "),
    ).toBe(true);
  });
});
