import { describe, expect, it } from "vitest";
import { type Hub, memoryHubNetwork } from "../src/index.ts";
import { type HubHarness, runHubTests } from "../src/testing/index.ts";

const memory = (n: number): HubHarness => {
  const net = memoryHubNetwork();
  return {
    members: Array.from({ length: n }, () => net.member()),
    down: () => net.setDown(true),
    up: () => net.setDown(false),
  };
};

runHubTests("memoryHubNetwork", memory, { describe, it });

/** The kit's tests for `setup`, collected with a stand-in framework and run here one by one. */
async function failures(setup: (n: number) => HubHarness): Promise<string[]> {
  const tests: { title: string; body: () => Promise<void> }[] = [];
  runHubTests(
    "mutant",
    setup,
    { describe: (_name, body) => body(), it: (title, body) => tests.push({ title, body }) },
    { timeoutMs: 200, quietMs: 20, largeBytes: 4096, manyMessages: 50 },
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

/** A memory hub whose members are changed by `mutate`. */
const mutant =
  (mutate: (h: Hub) => Hub) =>
  (n: number): HubHarness => {
    const h = memory(n);
    return { ...h, members: h.members.map(mutate) };
  };

describe("runHubTests catches broken hubs", () => {
  it("passes the real memory hub (no test fails)", async () => {
    expect(await failures(memory)).toEqual([]);
  });

  it.each<[string, (h: Hub) => Hub, string]>([
    [
      "echoes to the sender",
      (h) => ({
        ...h,
        join: async (doc, handlers) => {
          const ch = await h.join(doc, handlers);
          return {
            ...ch,
            publish: async (b) => {
              await ch.publish(b);
              queueMicrotask(() => handlers.onMessage(h.id, b.slice()));
            },
          };
        },
      }),
      "a publish reaches every other joined member exactly once, never the sender",
    ],
    [
      "delivers twice",
      (h) => ({
        ...h,
        join: (doc, handlers) =>
          h.join(doc, {
            ...handlers,
            onMessage: (from, b) => {
              handlers.onMessage(from, b);
              handlers.onMessage(from, b);
            },
          }),
      }),
      "a publish reaches every other joined member exactly once, never the sender",
    ],
    [
      "does not copy at publish",
      (h) => ({
        ...h,
        join: (doc, handlers) =>
          h.join(doc, {
            ...handlers,
            onMessage: (from, b) => handlers.onMessage(from, b.length === 64 ? new Uint8Array(64) : b),
          }),
      }),
      "bytes arrive intact: empty, every byte value, 1 MiB; copied at publish",
    ],
    [
      "accepts a second join",
      (h) => {
        const seen = new Set<string>();
        return {
          ...h,
          join: async (doc, handlers) => {
            if (seen.has(doc))
              return { publish: async () => {}, sendTo: async () => {}, leave: async () => {} };
            seen.add(doc);
            return h.join(doc, handlers);
          },
        };
      },
      "joining a document twice rejects with INVALID_CONFIG; the first join keeps working",
    ],
    [
      "resolves a publish while down",
      (h) => ({
        ...h,
        join: async (doc, handlers) => {
          const ch = await h.join(doc, handlers);
          return { ...ch, publish: (b) => ch.publish(b).catch(() => {}) };
        },
      }),
      "while down: isUp false, onStatus, publish and sendTo reject; once up: onGap, delivery resumes",
    ],
    [
      "never reports a gap",
      (h) => ({ ...h, join: (doc, handlers) => h.join(doc, { ...handlers, onGap: () => {} }) }),
      "while down: isUp false, onStatus, publish and sendTo reject; once up: onGap, delivery resumes",
    ],
  ])("fails a hub that %s", async (_what, mutate, law) => {
    expect(await failures(mutant(mutate))).toContain(law);
  });
});

describe("memoryHubNetwork", () => {
  it("delivers asynchronously, never inside publish", async () => {
    const net = memoryHubNetwork();
    const [a, b] = [net.member(), net.member()];
    const heard: number[] = [];
    const ca = await a.join("d", { onMessage: () => {}, onGap: () => {} });
    await b.join("d", { onMessage: (_f, bytes) => heard.push(bytes.length), onGap: () => {} });
    const p = ca.publish(new Uint8Array(3));
    expect(heard).toEqual([]);
    await p;
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual([3]);
  });

  it("loses the messages in flight when it goes down", async () => {
    const net = memoryHubNetwork();
    const [a, b] = [net.member(), net.member()];
    const heard: number[] = [];
    const ca = await a.join("d", { onMessage: () => {}, onGap: () => {} });
    await b.join("d", { onMessage: (_f, bytes) => heard.push(bytes.length), onGap: () => {} });
    const sent = ca.publish(new Uint8Array(3));
    net.setDown(true);
    await sent;
    net.setDown(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual([]);
    expect(net.isDown()).toBe(false);
  });
});
