import { describe, expect, it } from "vitest";
import { CloseCode, connect, memoryTransportPair, type SyncHost } from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";
import { rawClient } from "./raw-client.ts";

describe("host limits", () => {
  it("closes a connection with no hello after the handshake timeout, and caps pending handshakes", async () => {
    const fake = fakeTimers();
    const host = testHost({
      timers: fake.timers,
      limits: { handshakeTimeoutMs: 1000, maxPendingHandshakes: 2 },
    });
    const a = rawClient(host);
    const b = rawClient(host);
    const c = rawClient(host);
    await settle();
    expect(c.closed()?.code).toBe(CloseCode.RATE_LIMITED);
    expect(host.stats().pendingHandshakes).toBe(2);
    b.hello(newMap());
    await settle();
    expect(b.got.map((m) => m.type)).toEqual(["welcome", "payload"]);
    fake.advance(999);
    await settle();
    expect(a.closed()).toBeUndefined();
    fake.advance(1);
    await settle();
    expect(a.closed()?.code).toBe(CloseCode.HANDSHAKE_TIMEOUT);
    expect(b.closed()).toBeUndefined();
    expect(host.stats()).toEqual({ connections: 1, documents: 1, pendingHandshakes: 0 });
  });

  it("closes a connection past its frames per second with RATE_LIMITED; a new second starts afresh", async () => {
    const fake = fakeTimers();
    const host = testHost({ timers: fake.timers, limits: { framesPerSecond: 5 } });
    const calm = rawClient(host);
    calm.hello(newMap());
    const busy = rawClient(host);
    busy.hello(newMap());
    for (let i = 0; i < 4; i++) busy.send({ type: "ping", nonce: i });
    await settle();
    expect(busy.closed()).toBeUndefined();
    fake.advance(1000);
    for (let i = 0; i < 5; i++) busy.send({ type: "ping", nonce: i });
    await settle();
    expect(busy.closed()).toBeUndefined();
    busy.send({ type: "ping", nonce: 99 });
    await settle();
    expect(busy.closed()?.code).toBe(CloseCode.RATE_LIMITED);
    calm.send({ type: "ping", nonce: 7 });
    await settle();
    expect(calm.got.at(-1)).toEqual({ type: "pong", nonce: 7 });
  });

  it("a malformed or oversized frame closes only its connection; the document and other clients carry on", async () => {
    const host = testHost({ limits: { maxFrameBytes: 4096 } });
    const a = newMap();
    const b = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    const sb = connect(b, { document: "shop", dial: dialTo(host) });
    a.set("title", "before");
    await settle();
    const doc = await host.document("shop");
    const before = hex(doc.encodeState());
    const bad = rawClient(host);
    bad.hello(newMap());
    bad.transport.send(new Uint8Array([4, 200, 1])); // a payload frame whose length runs past the end
    const big = rawClient(host);
    big.hello(newMap());
    big.transport.send(new Uint8Array(5000));
    const early = rawClient(host);
    early.send({ type: "ping", nonce: 1 }); // anything before the hello
    await settle();
    expect(bad.closed()?.code).toBe(CloseCode.MALFORMED);
    expect(big.closed()?.code).toBe(CloseCode.FRAME_TOO_LARGE);
    expect(early.closed()?.code).toBe(CloseCode.MALFORMED);
    expect(hex(doc.encodeState())).toBe(before);
    a.set("title", "after");
    await settle();
    expect(b.get("title")).toBe("after");
    expect(sa.status()).toBe("synced");
    await sa.close();
    await sb.close();
  });
});

describe("backpressure", () => {
  it("stops streaming to a connection whose send queue passed the bound, then sends one delta once it drained", async () => {
    const fake = fakeTimers();
    let queued = 0;
    const host: SyncHost = testHost({ timers: fake.timers, limits: { sendQueueBytes: 1000 } });
    const writer = newMap();
    const sw = connect(writer, { document: "shop", dial: dialTo(host) });
    const slow = newMap();
    const received: string[] = [];
    const ss = connect(slow, {
      document: "shop",
      dial: async () => {
        const [client, server] = memoryTransportPair();
        const s = { ...server, pendingBytes: () => queued };
        client.onFrame((f) => {
          if (f[0] === 4 || f[0] === 5) received.push(f[0] === 4 ? "payload" : "chunk");
        });
        host.accept(s);
        return client;
      },
    });
    await sw.whenSynced();
    await ss.whenSynced();
    received.length = 0;
    queued = 5000; // the slow client's socket is backed up
    for (let i = 0; i < 20; i++) writer.set(`k${i}`, i);
    await settle();
    expect(received).toEqual([]);
    expect(slow.size).toBe(0);
    queued = 0;
    fake.advance(20);
    await settle();
    expect(received).toEqual(["payload"]); // one delta instead of 20 ops
    expect(hex(slow.encodeState())).toBe(hex(writer.encodeState()));
    writer.set("k0", "live again");
    await settle();
    expect(slow.get("k0")).toBe("live again");
    await sw.close();
    await ss.close();
  });
});
