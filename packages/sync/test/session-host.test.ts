import { describe, expect, it } from "vitest";
import { connect, memoryStore, memoryTransportPair } from "../src/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";

describe("connect + createSyncHost", () => {
  it("two clients converge through the host, byte-identical with it, and outboxes empty", async () => {
    const host = testHost();
    const a = newMap();
    const b = newMap();
    a.set("title", "shop");
    a.increment("stock:apple", 3);
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    const sb = connect(b, { document: "shop", dial: dialTo(host) });
    b.increment("stock:apple", 2);
    await sa.whenSynced();
    await sb.whenSynced();
    await settle();
    a.set("price:apple", 120);
    b.batch(() => {
      b.set("tags:apple", "red");
      b.decrement("stock:apple", 1);
    });
    await settle();
    const doc = await host.document("shop");
    expect(a.get("stock:apple")).toBe(4);
    expect(b.get("price:apple")).toBe(120);
    expect(a.get("tags:apple")).toEqual(["red"]);
    expect(hex(a.encodeState())).toBe(hex(doc.encodeState()));
    expect(hex(b.encodeState())).toBe(hex(doc.encodeState()));
    expect(sa.outboxSize()).toBe(0);
    expect(sb.outboxSize()).toBe(0);
    expect(sa.status()).toBe("synced");
    await sa.close();
    await sb.close();
    expect(sa.status()).toBe("closed");
    await host.close();
  });

  it("a client reconnecting with nothing new is acknowledged; nothing is stored or relayed", async () => {
    const store = memoryStore();
    const host = testHost({ store });
    const a = newMap();
    a.set("title", "t");
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    await sa.whenSynced();
    // An observer whose every frame from the host is counted.
    let framesToObserver = 0;
    const observer = connect(newMap(), {
      document: "shop",
      dial: async () => {
        const [client, server] = memoryTransportPair();
        client.onFrame(() => framesToObserver++);
        host.accept(server);
        return client;
      },
    });
    await observer.whenSynced();
    await settle();
    await sa.close();
    const log = async (): Promise<number> => (await (await store.open("shop")).load()).log.length;
    const logged = await log();
    const seen = framesToObserver;
    for (let i = 0; i < 5; i++) {
      const again = connect(a, { document: "shop", dial: dialTo(host) });
      await again.whenSynced();
      await settle();
      expect(again.outboxSize()).toBe(0);
      await again.close();
    }
    await settle();
    expect(await log()).toBe(logged);
    expect(framesToObserver).toBe(seen);
    // A write on the next reconnect is stored and relayed as ever.
    a.set("title", "u");
    const last = connect(a, { document: "shop", dial: dialTo(host) });
    await last.whenSynced();
    await settle();
    expect(await log()).toBe(logged + 1);
    expect(framesToObserver).toBeGreaterThan(seen);
    expect((await host.document("shop")).get("title")).toBe("u");
    await last.close();
    await observer.close();
    await host.close();
  });

  it("reports changes with their keys, refusals through onError, and metrics without map keys", async () => {
    const changes: string[][] = [];
    const counts = new Map<string, number>();
    const attributeKeys = new Set<string>();
    const host = testHost({
      onChange: (e) => changes.push([e.document, ...e.keys]),
      metrics: {
        count: (name, value, attrs) => {
          counts.set(name, (counts.get(name) ?? 0) + value);
          for (const k of Object.keys(attrs ?? {})) attributeKeys.add(k);
        },
        gauge: (name, value) => counts.set(`gauge:${name}`, value),
        observe: (name) => counts.set(`observed:${name}`, 1),
      },
    });
    const errors: string[] = [];
    host.onError((e) => errors.push(e.code));
    const a = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    await sa.whenSynced();
    a.batch(() => {
      a.set("title", "t");
      a.increment("stock:apple", 1);
    });
    await settle();
    expect(changes).toEqual([["shop", "stock:apple", "title"]]);
    const bad = connect(newMap(), { document: "nope", dial: dialTo(host) });
    await expect(bad.whenSynced()).rejects.toMatchObject({ code: "UNKNOWN_DOCUMENT" });
    expect(errors).toEqual(["UNKNOWN_DOCUMENT"]);
    expect(counts.get("gauge:connections")).toBe(1);
    expect(counts.get("gauge:documents")).toBe(1);
    // The batch's op; the client's catch-up delta brought nothing new (a duplicate: not merged).
    expect(counts.get("payloads_merged")).toBe(1);
    expect(counts.get("keys_merged")).toBe(2);
    expect(counts.get("payloads_duplicate")).toBe(1);
    expect(counts.get("refusals")).toBe(1);
    expect(counts.get("observed:apply_ms")).toBe(1);
    expect(counts.get("frames_in")).toBeGreaterThan(2);
    expect(counts.get("bytes_out")).toBeGreaterThan(0);
    expect([...attributeKeys].sort()).toEqual(["code", "document"]);
    expect(host.stats()).toEqual({ connections: 1, documents: 1, pendingHandshakes: 0 });
    await host.close();
    await settle();
    expect(sa.status()).not.toBe("synced"); // GOING_AWAY: the session goes offline and retries
    await sa.close();
  });
});
