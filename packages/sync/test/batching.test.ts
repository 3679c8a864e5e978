import { describe, expect, it } from "vitest";
import { decodeHubMessage } from "../src/_internals/hub-codec.ts";
import { RELAY_OPS } from "../src/_internals/op-relay.ts";
import {
  connect,
  createLocalHost,
  createSyncHost,
  decodeFrames,
  type Message,
  memoryHubNetwork,
  memoryTransportPair,
  type SyncHost,
} from "../src/index.ts";
import { dialTo, hex, newMap, rules, settle, testHost } from "./fixtures.ts";
import { rawClient } from "./raw-client.ts";

/** A session over a memory transport whose client side records every frame it receives. */
function watchedDial(host: SyncHost, frames: Uint8Array[]) {
  return async () => {
    const [client, server] = memoryTransportPair();
    client.onFrame((f) => frames.push(f));
    host.accept(server);
    return client;
  };
}

/** A host with a writer and a reader synced to it; `frames` records what the reader receives. */
async function writerAndReader() {
  const host = testHost();
  const writer = newMap();
  const reader = newMap();
  const frames: Uint8Array[] = [];
  const sw = connect(writer, { document: "shop", dial: async () => dialOf(host) });
  const sr = connect(reader, { document: "shop", dial: watchedDial(host, frames) });
  await sw.whenSynced();
  await sr.whenSynced();
  await settle();
  return { host, writer, reader, frames, sw, sr };
}

describe("a host writes what one turn sends to a connection as one frame", () => {
  it("relays a burst of ops as one delta per turn, every op present", async () => {
    const { host, writer, reader, frames, sw, sr } = await writerAndReader();
    frames.length = 0;
    // 200 separate ops (no batch()): 200 payload frames from the writer, merged in one turn.
    for (let i = 0; i < 200; i++) writer.set(`k${i}`, i);
    await settle();
    const messages: Message[] = frames.flatMap((f) => decodeFrames(f));
    const payloads = messages.filter((m) => m.type === "payload");
    // The reader gets what the turn merged as deltas, not 200 ops: far fewer payloads and writes.
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads.length).toBeLessThan(10);
    for (const p of payloads) if (p.type === "payload") expect(p.payload[3]).toBe(2);
    expect(frames.length).toBeLessThan(10);
    for (let i = 0; i < 200; i++) expect(reader.get(`k${i}`)).toBe(i);
    expect(hex(reader.encodeState())).toBe(hex(writer.encodeState()));
    await sw.close();
    await sr.close();
    await host.close();
  });

  it("relays a turn of a few ops as those ops, in order, and one of more ops as a delta", async () => {
    const { host, writer, reader, frames, sw, sr } = await writerAndReader();
    const sent: Uint8Array[] = [];
    const stop = writer.onOp((op) => sent.push(op));
    const relayed = (): Uint8Array[] =>
      frames.flatMap((f) => decodeFrames(f)).flatMap((m) => (m.type === "payload" ? [m.payload] : []));
    for (const count of [1, RELAY_OPS, RELAY_OPS + 1]) {
      frames.length = 0;
      sent.length = 0;
      for (let i = 0; i < count; i++) writer.set(`n${count}:${i}`, i);
      await settle();
      const payloads = relayed();
      if (count <= RELAY_OPS) {
        // The writer's own op payloads, byte for byte and in order: no delta carrying the vector.
        expect(payloads.map(hex)).toEqual(sent.map(hex));
      } else {
        expect(payloads).toHaveLength(1);
        expect(payloads[0]?.[3]).toBe(2);
      }
      for (let i = 0; i < count; i++) expect(reader.get(`n${count}:${i}`)).toBe(i);
    }
    stop();
    expect(hex(reader.encodeState())).toBe(hex(writer.encodeState()));
    await sw.close();
    await sr.close();
    await host.close();
  });

  it("keeps every batch within the frame limit", async () => {
    const maxFrameBytes = 400;
    const host = testHost({ limits: { maxFrameBytes } });
    const writer = newMap();
    const reader = newMap();
    const frames: Uint8Array[] = [];
    const sw = connect(writer, { document: "shop", dial: async () => dialOf(host), maxFrameBytes });
    const sr = connect(reader, { document: "shop", dial: watchedDial(host, frames), maxFrameBytes });
    await sw.whenSynced();
    await sr.whenSynced();
    for (let i = 0; i < 100; i++) writer.set(`key-${i}`, `value ${i}`);
    await settle(40);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(maxFrameBytes);
    for (let i = 0; i < 100; i++) expect(reader.get(`key-${i}`)).toBe(`value ${i}`);
    await sw.close();
    await sr.close();
    await host.close();
  });

  it("acknowledges with the client's own entry, which covers each of its ops", async () => {
    const host = testHost();
    const other = newMap();
    const so = connect(other, { document: "shop", dial: async () => dialOf(host) });
    other.set("theirs", 1);
    await so.whenSynced();
    await settle();
    const map = newMap();
    const raw = rawClient(host);
    raw.hello(map);
    await settle();
    map.set("mine", 2);
    raw.send({ type: "payload", payload: map.encodeState() });
    await settle();
    const acks = raw.got.filter((m) => m.type === "ack");
    expect(acks).toHaveLength(1);
    const [ack] = acks;
    if (ack?.type !== "ack") throw new Error("no ack");
    expect(ack.vector.toJSON()).toEqual({ [map.id]: map.versionVector().get(map.id) });
    expect((await host.document("shop")).get("mine")).toBe(2);
    await so.close();
    await host.close();
  });
});

describe("a host publishes what one turn merged as one hub message", () => {
  it("sends a burst of client ops to its peers as payload lists, every op present and in order", async () => {
    const net = memoryHubNetwork();
    const options = () => ({
      documents: (name: string) => (name === "shop" ? { rules } : undefined),
      hub: net.member(),
      hubDigestMs: 0,
    });
    const a = createSyncHost(options());
    const b = createSyncHost(options());
    const heard: string[] = [];
    const spy = await net.member().join("shop", {
      onMessage: (_from, bytes) => heard.push(decodeHubMessage(bytes).type),
      onGap: () => {},
    });
    const bDoc = await b.document("shop");
    const writer = newMap();
    const session = connect(writer, { document: "shop", dial: dialTo(a) });
    await session.whenSynced();
    await settle();
    heard.length = 0;
    for (let i = 0; i < 100; i++) writer.set(`k${i}`, i);
    await settle();
    expect(session.outboxSize()).toBe(0);
    const published = heard.filter((t) => t === "payload" || t === "payloads");
    expect(published.length).toBeLessThan(20);
    expect(published).toContain("payloads");
    for (let i = 0; i < 100; i++) expect(bDoc.get(`k${i}`)).toBe(i);
    expect(hex(bDoc.encodeState())).toBe(hex(writer.encodeState()));
    await session.close();
    await spy.leave();
    await a.close();
    await b.close();
  });
});

function dialOf(host: SyncHost) {
  const [client, server] = memoryTransportPair();
  host.accept(server);
  return client;
}

describe("createLocalHost", () => {
  it("serves its own connections like createSyncHost, and refuses a hub", async () => {
    const host = createLocalHost({ documents: (name) => (name === "shop" ? { rules } : undefined) });
    const a = newMap();
    const b = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    const sb = connect(b, { document: "shop", dial: dialTo(host) });
    a.set("title", "local");
    await sa.whenSynced();
    await sb.whenSynced();
    await settle();
    expect(b.get("title")).toBe("local");
    expect(hex(b.encodeState())).toBe(hex((await host.document("shop")).encodeState()));
    await sa.close();
    await sb.close();
    await host.close();
    let code = "";
    try {
      // Untyped JavaScript could pass one anyway.
      createLocalHost({ documents: () => undefined, hub: memoryHubNetwork().member() } as never);
    } catch (e) {
      code = (e as { code?: string }).code ?? "";
    }
    expect(code).toBe("INVALID_CONFIG");
  });
});
