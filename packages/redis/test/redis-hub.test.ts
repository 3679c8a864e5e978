import { randomBytes } from "node:crypto";
import { isConvergeError } from "@converge/hlc";
import type { Hub, HubChannel } from "@converge/sync";
import { describe, expect, it } from "vitest";
import { type RedisHubOptions, redisHub } from "../src/index.ts";
import { until, useRedis } from "./redis-kit.ts";
import { whenUp } from "./when-up.ts";

// The hub's own laws beyond the contract kit, each against a real private redis-server: the
// circuit (Redis stopped, CLIENT PAUSE), gaps from trimming, bounded streams, foreign entries.

const fx = useRedis();

interface Member {
  readonly hub: Hub;
  readonly channel: HubChannel;
  readonly heard: number[];
  readonly status: boolean[];
  gaps: number;
}

const prefixes = (): string => `t-${randomBytes(4).toString("hex")}:`;
const msg = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const num = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);

async function members(n: number, options: RedisHubOptions, document = "doc"): Promise<Member[]> {
  const hubs = Array.from({ length: n }, () =>
    redisHub({ url: fx.server.url, commandTimeoutMs: 300, probeMs: 100, ...options }),
  );
  fx.open.push(...hubs);
  await whenUp(hubs);
  const out: Member[] = [];
  for (const hub of hubs) {
    const m: Member = {
      hub,
      heard: [],
      status: [],
      gaps: 0,
      channel: undefined as unknown as HubChannel,
    };
    hub.onStatus((up) => m.status.push(up));
    (m as { channel: HubChannel }).channel = await hub.join(document, {
      onMessage: (_from, bytes) => m.heard.push(bytes.byteLength === 4 ? num(bytes) : -bytes.byteLength),
      onGap: () => {
        m.gaps++;
      },
    });
    out.push(m);
  }
  return out;
}

const at = <T>(xs: readonly T[], i: number): T => {
  const x = xs[i];
  if (x === undefined) throw new Error(`no element ${i}`);
  return x;
};

describe("redisHub: the circuit", () => {
  it("Redis stopped: down within 2 s, publish rejects HUB_UNAVAILABLE at once; restarted: up, onGap, delivery", async () => {
    const [a, b] = await members(2, { prefix: prefixes() });
    if (a === undefined || b === undefined) throw new Error("two members");
    await a.channel.publish(msg(1));
    await until(() => b.heard.includes(1), "the first message");
    const stoppedAt = Date.now();
    await fx.server.stop();
    await until(() => !a.hub.isUp() && !b.hub.isUp(), "both hubs down", 2000);
    const downMs = Date.now() - stoppedAt;
    const t0 = Date.now();
    const refused = await a.channel.publish(msg(2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const rejectMs = Date.now() - t0;
    expect(isConvergeError(refused, "HUB_UNAVAILABLE"), String(refused)).toBe(true);
    expect(rejectMs).toBeLessThan(2000);
    expect(a.status).toEqual([false]);
    expect(b.status).toEqual([false]);
    const gapsBefore = b.gaps;
    await fx.server.start();
    await until(() => a.hub.isUp() && b.hub.isUp(), "both hubs up again");
    await until(() => b.gaps > gapsBefore && a.gaps >= 1, "onGap on both after the restart");
    expect(a.status).toEqual([false, true]);
    await a.channel.publish(msg(3));
    await until(() => b.heard.includes(3), "a message after the restart");
    expect(b.heard).toEqual([1, 3]); // the refused message was never buffered and sent later
    console.log(`[redis] stopped: circuit open after ${downMs} ms; publish refused in ${rejectMs} ms`);
  }, 20_000);

  it("CLIENT PAUSE: the circuit opens within probeMs + commandTimeoutMs, closes after the pause", async () => {
    const [a, b] = await members(2, { prefix: prefixes(), commandTimeoutMs: 200, probeMs: 100 });
    if (a === undefined || b === undefined) throw new Error("two members");
    const t0 = Date.now();
    await fx.server.pause(1500);
    await until(() => !a.hub.isUp() && !b.hub.isUp(), "both hubs down under CLIENT PAUSE", 1000);
    const openMs = Date.now() - t0;
    const refused = await a.channel.publish(msg(5)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConvergeError(refused, "HUB_UNAVAILABLE")).toBe(true);
    await until(() => a.hub.isUp() && b.hub.isUp(), "both hubs up after the pause", 5000);
    const closeMs = Date.now() - t0;
    expect(closeMs).toBeGreaterThanOrEqual(1400);
    await until(() => b.gaps >= 1, "onGap after the pause");
    await a.channel.publish(msg(6));
    await until(() => b.heard.includes(6), "delivery after the pause");
    expect(b.heard).not.toContain(5);
    console.log(`[redis] CLIENT PAUSE 1500 ms: circuit open after ${openMs} ms, closed after ${closeMs} ms`);
  }, 20_000);

  it("a hub made while Redis is down starts down, refuses, and comes up when Redis does", async () => {
    await fx.server.stop();
    try {
      const hub = redisHub({ url: fx.server.url, prefix: prefixes(), commandTimeoutMs: 300, probeMs: 100 });
      fx.open.push(hub);
      const ch = await hub.join("doc", { onMessage: () => {}, onGap: () => {} });
      const refused = await ch.publish(msg(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isConvergeError(refused, "HUB_UNAVAILABLE")).toBe(true);
      expect(hub.isUp()).toBe(false);
      await fx.server.start();
      await whenUp([hub]);
      await ch.publish(msg(2));
    } finally {
      await fx.server.start();
    }
  }, 20_000);
});

describe("redisHub: gaps, bounds and foreign entries", () => {
  it("entries trimmed before a member read them give onGap; later entries still arrive", async () => {
    const prefix = prefixes();
    const [a, b] = await members(2, { prefix });
    if (a === undefined || b === undefined) throw new Error("two members");
    const key = `${prefix}doc:doc`;
    // A fast peer, as one transaction: 300 entries in the hub's format, then trimmed to none, so
    // the blocked reader wakes to an empty stream and never sees them.
    const tx = fx.raw.multi();
    for (let n = 0; n < 300; n++)
      tx.xadd(key, "0-*", "f", "0123456789abcdef", "b", Buffer.from(msg(1000 + n)));
    tx.xtrim(key, "MAXLEN", 0);
    await tx.exec();
    await a.channel.publish(msg(7));
    await until(() => b.heard.includes(7), "the message after the trim");
    expect(b.gaps).toBe(1);
    expect(b.heard.filter((n) => n >= 1000)).toEqual([]);
    // a reads the stream too (skipping its own entry): it missed the peer's entries as well.
    await until(() => a.gaps === 1, "onGap on the publisher too");
  });

  it("every stream stays within maxLen plus one radix-tree node after many publishes", async () => {
    const prefix = prefixes();
    const [a, b] = await members(2, { prefix, maxLen: 50, inboxMaxLen: 20 });
    if (a === undefined || b === undefined) throw new Error("two members");
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => a.channel.publish(msg(round * 200 + i))));
      await Promise.all(Array.from({ length: 50 }, (_, i) => a.channel.sendTo(b.hub.id, msg(i))));
    }
    const docLen = await fx.raw.xlen(`${prefix}doc:doc`);
    const inboxLen = await fx.raw.xlen(`${prefix}inbox:${b.hub.id}`);
    expect(docLen).toBeLessThanOrEqual(50 + 100);
    expect(inboxLen).toBeLessThanOrEqual(20 + 100);
    await until(() => b.heard.includes(1999), "the last publish");
    console.log(
      `[redis] 2000 publishes, maxLen 50: stream length ${docLen}; 500 sends, inboxMaxLen 20: ${inboxLen}`,
    );
  });

  it("a member's inbox expires unless its owner refreshes it", async () => {
    const prefix = prefixes();
    const [a, b] = await members(2, { prefix, inboxTtlMs: 400, probeMs: 50 });
    if (a === undefined || b === undefined) throw new Error("two members");
    await a.channel.sendTo(b.hub.id, msg(1));
    await a.channel.sendTo("feedfacefeedface", msg(2)); // a member that is gone
    await until(() => b.heard.includes(1), "the direct message");
    const ttlDead = await fx.raw.pttl(`${prefix}inbox:feedfacefeedface`);
    expect(ttlDead).toBeGreaterThan(0);
    expect(ttlDead).toBeLessThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 700));
    expect(await fx.raw.exists(`${prefix}inbox:feedfacefeedface`)).toBe(0);
    expect(await fx.raw.exists(`${prefix}inbox:${b.hub.id}`)).toBe(1); // refreshed by b's probe
  });

  it("foreign entries (other ids, fields, bytes) are dropped or delivered as bytes; nothing crashes", async () => {
    const prefix = prefixes();
    const errors: unknown[] = [];
    const [a, b] = await members(2, { prefix, onError: (e) => errors.push(e) });
    if (a === undefined || b === undefined) throw new Error("two members");
    const key = `${prefix}doc:doc`;
    await fx.raw.xadd(key, "*", "junk", Buffer.from([0xff, 0x00, 0xfe])); // time-based id, no f/b
    await fx.raw.xadd(key, "*", "f", Buffer.from([0xc3, 0x28]), "b", Buffer.from([0xde, 0xad, 0xbe])); // odd sender
    await fx.raw.xadd(key, "*", "f", "x"); // a sender without bytes
    // The hub's next XADD (0-*) is refused by Redis behind a time-based id; it goes on with "*".
    await a.channel.publish(msg(9));
    await until(() => b.heard.includes(9), "the hub's message after foreign entries");
    expect(b.heard).toEqual([-3, 9]); // the 3 foreign bytes, delivered as bytes, then ours
    expect(b.gaps).toBe(1); // the switch to someone else's time-based ids counts as one gap
    // …and only once: time-based ids have holes by nature, so later entries (ours included, now
    // time-based too) raise no gap — a gap makes the host digest, and a digest is an entry, so
    // counting them would loop forever.
    for (let i = 10; i < 15; i++) await a.channel.publish(msg(i));
    await until(() => b.heard.includes(14), "the hub's later messages");
    expect(b.gaps).toBe(1);
    expect(a.gaps).toBeLessThanOrEqual(1);
    expect(a.hub.isUp() && b.hub.isUp()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("a join does not wait for the reader's BLOCK to end", async () => {
    const prefix = prefixes();
    const [a, b] = await members(2, { prefix, blockMs: 10_000 }, "first");
    if (a === undefined || b === undefined) throw new Error("two members");
    await new Promise((r) => setTimeout(r, 100)); // b's reader is blocked now
    const heard: number[] = [];
    const late = await b.hub.join("second", { onMessage: (_f, m) => heard.push(num(m)), onGap: () => {} });
    const ch = await a.hub.join("second", { onMessage: () => {}, onGap: () => {} });
    const t0 = Date.now();
    await ch.publish(msg(4));
    await until(() => heard.includes(4), "the message on the newly joined document", 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    await late.leave();
  });

  it("a message handler that throws is reported to onError; the next messages still arrive", async () => {
    const prefix = prefixes();
    const errors: unknown[] = [];
    const hubs = [0, 1].map(() => redisHub({ url: fx.server.url, prefix, onError: (e) => errors.push(e) }));
    fx.open.push(...hubs);
    await whenUp(hubs);
    const heard: number[] = [];
    await at(hubs, 1).join("doc", {
      onMessage: (_f, m) => {
        heard.push(num(m));
        if (num(m) === 1) throw new Error("handler bug");
      },
      onGap: () => {},
    });
    const ch = await at(hubs, 0).join("doc", { onMessage: () => {}, onGap: () => {} });
    await ch.publish(msg(1));
    await ch.publish(msg(2));
    await until(() => heard.includes(2), "the message after the throwing one");
    expect(errors.map((e) => (e as Error).message)).toEqual(["handler bug"]);
  });
});

describe("redisHub: options", () => {
  it("bad options throw INVALID_CONFIG and make nothing", () => {
    const bad: unknown[] = [
      { url: "http://x" },
      { maxLen: 0 },
      { maxLen: 1.5 },
      { probeMs: "1" },
      { prefix: 3 },
      { onError: 1 },
      { nope: true },
      "redis://x",
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        redisHub(options as RedisHubOptions);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "INVALID_CONFIG"), JSON.stringify(options)).toBe(true);
    }
  });

  it("member ids are 16 hex digits, fresh per hub", async () => {
    const hubs = [0, 1, 2].map(() => redisHub({ url: fx.server.url }));
    fx.open.push(...hubs);
    for (const h of hubs) expect(h.id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(hubs.map((h) => h.id)).size).toBe(3);
  });
});
