import { describe, expect, it } from "vitest";
import { connect, type DocumentStore, memoryStore, SyncError } from "../src/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";

/** Waits (bounded) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await settle(2);
  expect(done()).toBe(true);
}

describe("a session whose store is damaged rebuilds from the server", () => {
  it("a store that refuses its records (STORE_CORRUPT): error and corrupt events, the map takes the server's state", async () => {
    const host = testHost();
    const writer = newMap();
    const sw = connect(writer, { document: "shop", dial: dialTo(host) });
    writer.set("title", "from the server");
    await sw.whenSynced();
    const refused = new SyncError("STORE_CORRUPT", "checksum mismatch");
    const broken: DocumentStore = {
      load: () => Promise.reject(refused),
      commit: () => Promise.reject(refused),
      close: async () => {},
    };
    const map = newMap();
    map.set("local", "kept?"); // made before the session: not in any outbox, but in the map
    const corrupt: string[] = [];
    const resets: unknown[] = [];
    const session = connect(map, { document: "shop", dial: dialTo(host), store: broken });
    session.on("corrupt", (e) => corrupt.push(e.code));
    session.on("reset", (floor) => resets.push(floor));
    await until(() => resets.length === 1 && session.status() === "synced");
    expect(corrupt).toEqual(["STORE_CORRUPT"]);
    expect(resets).toEqual([undefined]); // a rebuild, not a lease reset
    await sw.whenSynced();
    await settle();
    const doc = await host.document("shop");
    expect(map.get("title")).toBe("from the server");
    expect(doc.get("local")).toBe("kept?"); // the rebuild re-applied what the server lacked
    expect(hex(map.encodeState())).toBe(hex(doc.encodeState()));
    await session.close();
    await sw.close();
    await host.close();
  });

  it("records loaded with `damaged`: the readable outbox is re-applied on the server's state", async () => {
    const host = testHost();
    const records = await memoryStore().open("shop");
    const map = newMap();
    // An op the previous run committed but the server never acknowledged.
    const ops: Uint8Array[] = [];
    const off = map.onOp((op) => ops.push(op));
    map.set("pending", 1);
    off();
    await records.commit({ outboxAdd: [{ seq: 1, op: ops[0] as Uint8Array }] });
    const damaged = new SyncError("STORE_CORRUPT", "a log row failed its checksum");
    const store: DocumentStore = { ...records, load: async () => ({ ...(await records.load()), damaged }) };
    const corrupt: string[] = [];
    const session = connect(map, { document: "shop", dial: dialTo(host), store });
    session.on("corrupt", (e) => corrupt.push(e.code));
    await until(() => session.status() === "synced");
    expect(corrupt).toEqual(["STORE_CORRUPT"]);
    const doc = await host.document("shop");
    expect(doc.get("pending")).toBe(1);
    expect(doc.versionVector().get(map.id)).toBe(1);
    expect(session.outboxSize()).toBe(0);
    expect(hex(map.encodeState())).toBe(hex(doc.encodeState()));
    // The records were rewritten as a snapshot of the rebuilt state.
    await session.whenCommitted();
    const after = await records.load();
    expect(after.snapshot).toBeDefined();
    expect(after.outbox).toEqual([]);
    await session.close();
    await host.close();
  });
});
