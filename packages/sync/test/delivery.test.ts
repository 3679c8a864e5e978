import { isConvergeError } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { caught } from "../../../test/kit/caught.ts";
import { connect, memoryTransportPair, type Transport } from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";
import { rawClient } from "./raw-client.ts";

describe("outbox, acknowledgements and duplicates", () => {
  it("writes made offline wait in the outbox, are sent after reconnect and dropped once acknowledged", async () => {
    const host = testHost();
    const fake = fakeTimers();
    let online = false;
    const map = newMap();
    const acks: number[] = [];
    const s = connect(map, {
      document: "shop",
      timers: fake.timers,
      random: () => 1,
      backoff: { initialMs: 100, maxMs: 400 },
      dial: async () => {
        if (!online) throw new Error("offline");
        return dialTo(host)();
      },
    });
    s.on("ack", (v) => acks.push(v.get(map.id)));
    for (let i = 0; i < 50; i++) map.increment("stock:apple", 1);
    await settle();
    expect(s.status()).toBe("offline");
    expect(s.outboxSize()).toBe(50);
    online = true;
    while (s.status() !== "synced" && fake.next()) await settle();
    expect(s.outboxSize()).toBe(0);
    expect(acks.at(-1)).toBe(50);
    expect((await host.document("shop")).get("stock:apple")).toBe(50);
    await s.close();
  });

  it("duplicates are harmless: the same ops and deltas delivered again change nothing, counters count once", async () => {
    const host = testHost();
    const map = newMap();
    const ops: Uint8Array[] = [];
    map.onOp((op) => ops.push(op));
    const s = connect(map, { document: "shop", dial: dialTo(host) });
    await s.whenSynced();
    map.increment("stock:pear", 3);
    map.set("title", "x");
    await settle();
    const doc = await host.document("shop");
    const before = hex(doc.encodeState());
    // A second connection of the same replica resends everything, twice (as after a reconnect).
    const again = rawClient(host);
    again.hello(map);
    for (let round = 0; round < 2; round++) {
      for (const op of ops) again.send({ type: "payload", payload: op });
      again.send({ type: "payload", payload: map.encodeDelta(newMap().versionVector()) });
      again.send({ type: "payload", payload: map.encodeState() });
    }
    await settle();
    expect(again.got.filter((m) => m.type === "ack")).toHaveLength(8);
    expect(again.got.filter((m) => m.type === "reject")).toEqual([]);
    expect(hex(doc.encodeState())).toBe(before);
    expect(doc.get("stock:pear")).toBe(3);
    // And the client side: its own ops relayed back, twice.
    for (const op of ops) {
      map.apply(op);
      map.apply(op);
    }
    expect(map.get("stock:pear")).toBe(3);
    await s.close();
  });
});

describe("chunking", () => {
  it("a state larger than a frame travels as chunks both ways and is applied asynchronously", async () => {
    const host = testHost({ limits: { maxFrameBytes: 2048 } });
    const big = newMap();
    for (let i = 0; i < 8000; i++) big.set(`item:${i}`, `value ${i}`);
    expect(big.encodeState().length).toBeGreaterThan(64 * 1024);
    const frames: number[] = [];
    const wire = (): Promise<Transport> => {
      const [client, server] = memoryTransportPair();
      server.onFrame((f) => frames.push(f.length));
      host.accept(server);
      return Promise.resolve(client);
    };
    const sb = connect(big, { document: "shop", dial: wire, maxFrameBytes: 2048 });
    await sb.whenSynced();
    await settle();
    expect(Math.max(...frames)).toBeLessThanOrEqual(2048);
    expect(frames.length).toBeGreaterThan(30);
    const doc = await host.document("shop");
    expect(hex(doc.encodeState())).toBe(hex(big.encodeState()));
    const fresh = newMap();
    const got: number[] = [];
    const sf = connect(fresh, {
      document: "shop",
      maxFrameBytes: 2048,
      dial: async () => {
        const t = await dialTo(host)();
        t.onFrame((f) => got.push(f.length));
        return t;
      },
    });
    await sf.whenSynced();
    expect(Math.max(...got)).toBeLessThanOrEqual(2048);
    expect(fresh.get("item:7999")).toBe("value 7999");
    expect(hex(fresh.encodeState())).toBe(hex(big.encodeState()));
    await sb.close();
    await sf.close();
  });
});

describe("presence", () => {
  it("is relayed to the others, resent after a reconnect, and dropped when a client leaves or goes offline", async () => {
    const host = testHost();
    const a = connect(newMap(), { document: "shop", dial: dialTo(host) });
    let bLink: Transport | undefined;
    const fake = fakeTimers();
    const b = connect(newMap(), {
      document: "shop",
      timers: fake.timers,
      random: () => 0,
      dial: async () => {
        bLink = await dialTo(host)();
        return bLink;
      },
    });
    const seen: [string, unknown][] = [];
    b.on("presence", (client, state) => seen.push([client, state]));
    await a.whenSynced();
    await b.whenSynced();
    a.setPresence({ name: "ada", editing: "title" });
    await settle();
    expect([...b.presence().values()]).toEqual([{ name: "ada", editing: "title" }]);
    // b goes offline: it forgets the others' presence.
    bLink?.close(4000, "lost");
    await settle();
    expect(b.presence().size).toBe(0);
    // b comes back: the host tells it who is there.
    fake.next();
    await settle();
    expect([...b.presence().values()]).toEqual([{ name: "ada", editing: "title" }]);
    b.setPresence({ name: "bob" });
    await settle();
    expect([...a.presence().values()]).toEqual([{ name: "bob" }]);
    // Not a value: refused at the call with a typed error, and nothing is sent.
    for (const bad of [{ at: Number.NaN }, { f: undefined }, [() => 1]])
      expect(caught(() => b.setPresence(bad as never))).toSatisfy((e) => isConvergeError(e, "INVALID_VALUE"));
    await settle();
    expect([...a.presence().values()]).toEqual([{ name: "bob" }]);
    await a.close();
    await settle();
    expect(b.presence().size).toBe(0);
    expect(seen.at(-1)?.[1]).toBe(null);
    await b.close();
  });
});
