import { createHash, randomBytes } from "node:crypto";
import { isConvergeError } from "@converge/hlc";
import type { Hub, HubChannel } from "@converge/sync";
import { describe, expect, it } from "vitest";
import { type RedisHubOptions, redisHub } from "../src/index.ts";
import { until, useRedis } from "./redis-kit.ts";
import { whenUp } from "./when-up.ts";

// Messages larger than one stream entry (maxEntryBytes) travel as parts: they arrive whole and
// byte-identical, every entry stays within the bound, and a message whose parts cannot all be
// read is a gap, never a wrong or partial message. Against a real private redis-server.

const fx = useRedis();

interface Member {
  readonly hub: Hub;
  readonly channel: HubChannel;
  /** Every message heard: its sender and the SHA-256 of its bytes, with its length. */
  readonly heard: { readonly from: string; readonly digest: string }[];
  gaps: number;
}

const digest = (b: Uint8Array): string => `${b.byteLength}:${createHash("sha256").update(b).digest("hex")}`;
const prefixes = (): string => `big-${randomBytes(4).toString("hex")}:`;

async function members(n: number, options: RedisHubOptions): Promise<Member[]> {
  const hubs = Array.from({ length: n }, () =>
    redisHub({ url: fx.server.url, commandTimeoutMs: 1000, probeMs: 100, ...options }),
  );
  fx.open.push(...hubs);
  await whenUp(hubs);
  const out: Member[] = [];
  for (const hub of hubs) {
    const heard: Member["heard"] = [];
    const m = { hub, heard, gaps: 0 } as Member;
    (m as { channel: HubChannel }).channel = await hub.join("doc", {
      onMessage: (from, bytes) => heard.push({ from, digest: digest(bytes) }),
      onGap: () => {
        m.gaps++;
      },
    });
    out.push(m);
  }
  return out;
}

function two(ms: readonly Member[]): [Member, Member] {
  const [a, b] = ms;
  if (a === undefined || b === undefined) throw new Error("two members");
  return [a, b];
}

/** Every entry of a stream: its `b` length and whether it carries a part field. */
async function entries(key: string): Promise<{ bytes: number; part: string | undefined }[]> {
  const reply = (await fx.raw.xrangeBuffer(key, "-", "+")) as [Buffer, Buffer[]][];
  return reply.map(([, fields]) => {
    const get = (name: string): Buffer | undefined => {
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]?.toString() === name) return fields[i + 1];
      return undefined;
    };
    return { bytes: get("b")?.length ?? -1, part: get("p")?.toString() };
  });
}

const ENTRY = 64 * 1024;

describe("redisHub: messages larger than one entry", () => {
  it("publish and sendTo of 1 MiB arrive whole and byte-identical; every entry holds ≤ maxEntryBytes", async () => {
    const prefix = prefixes();
    const [a, b] = two(await members(2, { prefix, maxEntryBytes: ENTRY }));
    const big = randomBytes(1024 * 1024 + 17);
    const small = randomBytes(100);
    await a.channel.publish(small);
    await a.channel.publish(big);
    await a.channel.publish(small);
    await until(() => b.heard.length === 3, "three published messages");
    // (The inbox is another stream: a read may deliver it before or after the document's.)
    await a.channel.sendTo(b.hub.id, big);
    await until(() => b.heard.length === 4, "the sent message");
    expect(b.heard).toEqual([small, big, small, big].map((x) => ({ from: a.hub.id, digest: digest(x) })));
    expect(b.gaps).toBe(0);
    const doc = await entries(`${prefix}doc:doc`);
    const parts = Math.ceil(big.length / ENTRY);
    expect(doc).toHaveLength(2 + parts);
    expect(Math.max(...doc.map((e) => e.bytes))).toBeLessThanOrEqual(ENTRY);
    expect(doc.filter((e) => e.part === undefined).map((e) => e.bytes)).toEqual([100, 100]);
    expect(doc.filter((e) => e.part !== undefined).map((e) => e.part)).toEqual(
      Array.from({ length: parts }, (_, i) => `1 ${i} ${parts}`),
    );
    const inbox = await entries(`${prefix}inbox:${b.hub.id}`);
    expect(inbox).toHaveLength(parts);
    expect(Math.max(...inbox.map((e) => e.bytes))).toBeLessThanOrEqual(ENTRY);
  });

  it("large messages of several members published at once each arrive whole, in each sender's order", async () => {
    const prefix = prefixes();
    const ms = await members(3, { prefix, maxEntryBytes: 4096 });
    const [a, b] = two(ms);
    const c = ms[2] as Member;
    const sent = new Map<string, Uint8Array[]>();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      for (const m of [a, b]) {
        const bytes = randomBytes(i % 2 === 0 ? 20_000 + i : 50);
        sent.set(m.hub.id, [...(sent.get(m.hub.id) ?? []), bytes]);
        sends.push(m.channel.publish(bytes));
      }
    }
    await Promise.all(sends);
    await until(() => c.heard.length === 16, "sixteen messages");
    for (const m of [a, b]) {
      expect(c.heard.filter((h) => h.from === m.hub.id).map((h) => h.digest)).toEqual(
        (sent.get(m.hub.id) ?? []).map(digest),
      );
    }
    expect(c.gaps).toBe(0);
  });

  it("a message whose parts cannot all be read is a gap, never a message; the next ones arrive", async () => {
    const prefix = prefixes();
    const [a, b] = two(await members(2, { prefix, maxEntryBytes: ENTRY }));
    const key = `${prefix}doc:doc`;
    const peer = "0123456789abcdef";
    const part = (p: string, fill: number): (string | Buffer)[] => [
      "f",
      peer,
      "p",
      p,
      "b",
      Buffer.alloc(10, fill),
    ];
    // A message whose first part was trimmed, one cut short by a new message, one cut short by a
    // single-entry message, a part field that is not one: only the whole ones are delivered.
    const tx = fx.raw.multi();
    tx.xadd(key, "0-*", ...part("7 1 3", 1));
    tx.xadd(key, "0-*", ...part("7 2 3", 1));
    tx.xadd(key, "0-*", ...part("8 0 2", 2));
    tx.xadd(key, "0-*", ...part("9 0 2", 3));
    tx.xadd(key, "0-*", ...part("9 1 2", 3)); // message 9 is whole
    tx.xadd(key, "0-*", ...part("10 0 3", 4));
    tx.xadd(key, "0-*", "f", peer, "b", Buffer.alloc(5, 5));
    tx.xadd(key, "0-*", ...part("11 0 1", 6)); // count 1: not a part field of ours
    await tx.exec();
    const after = randomBytes(3 * ENTRY);
    await a.channel.publish(after);
    await until(() => b.heard.some((h) => h.from === a.hub.id), "the message after them");
    expect(b.heard).toEqual([
      { from: peer, digest: digest(Buffer.alloc(20, 3)) },
      { from: peer, digest: digest(Buffer.alloc(5, 5)) },
      { from: a.hub.id, digest: digest(after) },
    ]);
    // 7: no first part; 8: a new message began; 10: a single entry came before its end. Losses
    // found in one read are one gap (one digest repairs them all); each shape alone is a loss in
    // message-parts.test.ts.
    expect(b.gaps).toBeGreaterThanOrEqual(1);
    expect(b.gaps).toBeLessThanOrEqual(3);
  });

  it("behind someone else's time-based id, a message in parts goes on with time-based ids", async () => {
    const prefix = prefixes();
    const [a, b] = two(await members(2, { prefix, maxEntryBytes: 1000 }));
    await fx.raw.xadd(`${prefix}doc:doc`, "*", "junk", "x"); // a time-based id: 0-* is refused after it
    const big = randomBytes(5500);
    await a.channel.publish(big);
    await until(() => b.heard.length === 1, "the message in parts");
    expect(b.heard).toEqual([{ from: a.hub.id, digest: digest(big) }]);
    const parts = (await entries(`${prefix}doc:doc`)).filter((e) => e.part !== undefined);
    expect(parts.map((e) => e.part)).toEqual(Array.from({ length: 6 }, (_, i) => `1 ${i} 6`));
  });

  it("a message over maxMessageBytes, or with more parts than the stream keeps, is refused and writes nothing", async () => {
    const prefix = prefixes();
    const [a, b] = two(
      await members(2, { prefix, maxEntryBytes: 1000, maxMessageBytes: 10_000, inboxMaxLen: 5 }),
    );
    const refusal = async (p: Promise<void>): Promise<string> =>
      p.then(
        () => "accepted",
        (e: unknown) => (isConvergeError(e) ? e.code : String(e)),
      );
    expect(await refusal(a.channel.publish(new Uint8Array(10_001)))).toBe("INVALID_VALUE");
    expect(await refusal(a.channel.sendTo(b.hub.id, new Uint8Array(5_001)))).toBe("INVALID_VALUE");
    expect(await fx.raw.exists(`${prefix}doc:doc`, `${prefix}inbox:${b.hub.id}`)).toBe(0);
    await a.channel.publish(new Uint8Array(10_000));
    await a.channel.sendTo(b.hub.id, new Uint8Array(5_000));
    await until(() => b.heard.length === 2, "the two messages at the bounds");
    expect(b.heard.map((h) => h.digest)).toEqual([
      digest(new Uint8Array(10_000)),
      digest(new Uint8Array(5_000)),
    ]);
  });

  it("bad maxEntryBytes or maxMessageBytes throw INVALID_CONFIG", () => {
    for (const bad of [
      { maxEntryBytes: 0 },
      { maxEntryBytes: 1.5 },
      { maxMessageBytes: -1 },
      { maxMessageBytes: "1" },
    ]) {
      let code: string | undefined;
      try {
        redisHub({ url: fx.server.url, ...(bad as RedisHubOptions) });
      } catch (e) {
        code = isConvergeError(e) ? e.code : String(e);
      }
      expect(code).toBe("INVALID_CONFIG");
    }
  });
});
