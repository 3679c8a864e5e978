import { createReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import {
  connect,
  createSyncHost,
  type DocumentStore,
  memoryStore,
  memoryTransportPair,
} from "../src/index.ts";

const rules = { default: lww() };

describe("with a store, a local op reaches the network only after it is committed", () => {
  it("an op is on the host only after the client's store committed it", async () => {
    const host = createSyncHost({ documents: () => ({ rules }) });
    const hostDoc = await host.document("doc");
    const map = createReplicatedMap({ resolvers: rules });
    const inner = await memoryStore().open("doc");
    let hold = false;
    const waiting: (() => void)[] = [];
    const doc: DocumentStore = {
      load: inner.load,
      close: inner.close,
      commit: async (batch) => {
        if (hold) await new Promise<void>((r) => waiting.push(r));
        return inner.commit(batch);
      },
    };
    const session = connect(map, {
      document: "doc",
      store: doc,
      dial: async () => {
        const [client, server] = memoryTransportPair();
        host.accept(server);
        return client;
      },
    });
    await session.whenSynced();
    hold = true;
    map.set("k", 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    expect(hostDoc.get("k"), "sent before it was durable here").toBeUndefined();
    expect(waiting.length).toBeGreaterThan(0);
    hold = false;
    for (const w of waiting.splice(0)) w();
    await session.whenCommitted();
    for (let i = 0; i < 50 && hostDoc.get("k") === undefined; i++) await new Promise((r) => setTimeout(r, 2));
    expect(hostDoc.get("k")).toBe(1);
    await session.close();
    await host.close();
  });
});
