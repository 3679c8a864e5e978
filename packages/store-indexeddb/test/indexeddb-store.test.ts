import { isConvergeError } from "@converge/hlc";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { beforeAll, describe, expect, it } from "vitest";
import { indexedDbStore } from "../src/index.ts";

beforeAll(() => {
  // The store names IDBKeyRange as a global, as in browsers.
  (globalThis as { IDBKeyRange?: unknown }).IDBKeyRange ??= IDBKeyRange;
});

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe("indexedDbStore (fake-indexeddb)", () => {
  it("keeps snapshot, log, outbox and peers across a reopen, the snapshot replacing the older log", async () => {
    const indexedDB = new IDBFactory();
    let store = indexedDbStore({ name: "app", indexedDB });
    const doc = await store.open("shop");
    await doc.commit({ append: [bytes(1), bytes(2)], outboxAdd: [{ seq: 1, op: bytes(9) }] });
    await doc.commit({
      snapshot: bytes(7, 7),
      append: [bytes(3)],
      outboxAdd: [{ seq: 2, op: bytes(8) }],
      peers: [{ peer: "p1", vector: bytes(5), seenAt: 10 }],
    });
    await doc.commit({
      outboxAckedUpTo: 1,
      peers: [{ peer: "p2", vector: bytes(6), seenAt: 11 }],
      removePeers: ["p1"],
    });
    await doc.commit({ append: [bytes(4)] });
    await store.close();
    store = indexedDbStore({ name: "app", indexedDB });
    const again = await store.open("shop");
    expect(await again.load()).toEqual({
      snapshot: bytes(7, 7),
      log: [bytes(3), bytes(4)],
      outbox: [{ seq: 2, op: bytes(8) }],
      peers: [{ peer: "p2", vector: bytes(6), seenAt: 11 }],
    });
    await again.commit({ append: [bytes(5)] }); // positions continue after a reopen
    expect((await again.load()).log).toEqual([bytes(3), bytes(4), bytes(5)]);
    expect(await store.documents()).toEqual(["shop"]);
    await store.close();
  });

  it("commits made in one turn land in call order; documents are isolated", async () => {
    const store = indexedDbStore({ name: "app", indexedDB: new IDBFactory() });
    const a = await store.open("a");
    const b = await store.open("b");
    const all = [];
    for (let i = 0; i < 300; i++)
      all.push((i % 2 === 0 ? a : b).commit({ append: [bytes(i & 0xff, i >> 8)] }));
    await Promise.all(all);
    const decode = (log: readonly Uint8Array[]): number[] =>
      log.map((x) => (x[0] as number) + ((x[1] as number) << 8));
    const evens = [...Array(150).keys()].map((i) => 2 * i);
    expect(decode((await a.load()).log)).toEqual(evens);
    expect(decode((await b.load()).log)).toEqual(evens.map((n) => n + 1));
    await store.close();
  });

  it("copies bytes in and out, and refuses use after close with STORE_CLOSED", async () => {
    const store = indexedDbStore({ name: "app", indexedDB: new IDBFactory() });
    const doc = await store.open("d");
    const input = bytes(1, 2, 3);
    const pending = doc.commit({ append: [input] });
    input[0] = 99;
    await pending;
    ((await doc.load()).log[0] as Uint8Array)[1] = 42;
    expect((await doc.load()).log).toEqual([bytes(1, 2, 3)]);
    await store.close();
    await expect(doc.commit({})).rejects.toSatisfy((e: unknown) => isConvergeError(e, "STORE_CLOSED"));
    await expect(store.open("x")).rejects.toSatisfy((e: unknown) => isConvergeError(e, "STORE_CLOSED"));
  });

  it("a record whose bytes changed is STORE_CORRUPT; with onCorrupt it is quarantined and the rest loads", async () => {
    const indexedDB = new IDBFactory();
    const store = indexedDbStore({ name: "app", indexedDB });
    const doc = await store.open("d");
    await doc.commit({ append: [bytes(1), bytes(2)], outboxAdd: [{ seq: 1, op: bytes(5) }] });
    await store.close();
    // Flip a bit of the second log record behind the store's back.
    const raw = await new Promise<IDBDatabase>((resolve) => {
      const r = indexedDB.open("app");
      r.onsuccess = () => resolve(r.result);
    });
    await new Promise<void>((resolve) => {
      const tx = raw.transaction("log", "readwrite");
      const req = tx.objectStore("log").get(["d", 2]);
      req.onsuccess = () => {
        const rec = req.result as { bytes: Uint8Array };
        rec.bytes = bytes(3);
        tx.objectStore("log").put(rec);
      };
      tx.oncomplete = () => resolve();
    });
    raw.close();

    const refusing = indexedDbStore({ name: "app", indexedDB });
    await expect((await refusing.open("d")).load()).rejects.toSatisfy((e: unknown) =>
      isConvergeError(e, "STORE_CORRUPT"),
    );
    await refusing.close();
    const reports: number[] = [];
    const healing = indexedDbStore({ name: "app", indexedDB, onCorrupt: (_e, n) => reports.push(n) });
    const h = await healing.open("d");
    const { damaged, ...records } = await h.load();
    expect(records).toEqual({
      snapshot: undefined,
      log: [bytes(1)],
      outbox: [{ seq: 1, op: bytes(5) }],
      peers: [],
    });
    expect(isConvergeError(damaged, "STORE_CORRUPT")).toBe(true);
    expect(reports).toEqual([1]);
    const again = await h.load();
    expect(again.log).toEqual([bytes(1)]); // dropped from the document; kept in quarantine
    expect(again.damaged).toBeUndefined();
    await healing.close();
    // The quarantine still holds the damaged record as it was found.
    const db = await new Promise<IDBDatabase>((resolve) => {
      const r = indexedDB.open("app");
      r.onsuccess = () => resolve(r.result);
    });
    const kept = await new Promise<unknown[]>((resolve) => {
      const req = db.transaction("quarantine").objectStore("quarantine").getAll();
      req.onsuccess = () => resolve(req.result as unknown[]);
    });
    db.close();
    expect(kept).toHaveLength(1);
    expect((kept[0] as { store: string; record: { bytes: Uint8Array } }).store).toBe("log");
    expect([...(kept[0] as { record: { bytes: Uint8Array } }).record.bytes]).toEqual([...bytes(3)]);
  });
});
