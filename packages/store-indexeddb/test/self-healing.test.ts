import { isConvergeError } from "@converge/hlc";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { beforeAll, describe, expect, it } from "vitest";
import { healScenario, MARKER } from "../../../test/kit/heal-scenario.ts";
import { indexedDbStore } from "../src/index.ts";

beforeAll(() => {
  // The store names IDBKeyRange as a global, as in browsers.
  (globalThis as { IDBKeyRange?: unknown }).IDBKeyRange ??= IDBKeyRange;
});

const openDb = (indexedDB: IDBFactory): Promise<IDBDatabase> =>
  new Promise((resolve) => {
    const r = indexedDB.open("app");
    r.onsuccess = () => resolve(r.result);
  });

const allOf = (db: IDBDatabase, name: string): Promise<{ bytes?: Uint8Array; record?: unknown }[]> =>
  new Promise((resolve) => {
    const req = db.transaction(name).objectStore(name).getAll();
    req.onsuccess = () => resolve(req.result as { bytes?: Uint8Array }[]);
  });

const holds = (b: Uint8Array, text: string): boolean => Buffer.from(b).includes(Buffer.from(text));

describe("a client whose IndexedDB records are damaged heals from the server (fake-indexeddb)", () => {
  it("a changed log record: typed error and event, the record quarantined, state rebuilt, unacknowledged ops kept", async () => {
    const indexedDB = new IDBFactory();
    const reports: number[] = [];
    const outcome = await healScenario(
      async () => {
        const store = indexedDbStore({ name: "app", indexedDB });
        return { store, records: await store.open("shop") };
      },
      async () => {
        // Flip one bit of the log record holding the other client's marker, behind the store's back.
        const db = await openDb(indexedDB);
        const logs = (await allOf(db, "log")) as { doc: string; pos: number; bytes: Uint8Array }[];
        const target = logs.find((r) => holds(r.bytes, MARKER));
        expect(target).toBeDefined();
        const rec = target as { doc: string; pos: number; bytes: Uint8Array };
        const bytes = new Uint8Array(rec.bytes);
        const at = Buffer.from(bytes).indexOf(Buffer.from(MARKER));
        bytes[at + 3] = (bytes[at + 3] as number) ^ 0x10;
        await new Promise<void>((resolve) => {
          const tx = db.transaction("log", "readwrite");
          tx.objectStore("log").put({ ...rec, bytes });
          tx.oncomplete = () => resolve();
        });
        db.close();
      },
      async () => {
        const store = indexedDbStore({ name: "app", indexedDB, onCorrupt: (_e, n) => reports.push(n) });
        return { store, records: await store.open("shop") };
      },
    );
    expect(isConvergeError(outcome.loadedDamage, "STORE_CORRUPT")).toBe(true);
    expect(outcome.errors).toContain("STORE_CORRUPT");
    expect(outcome.corrupt).toEqual(["STORE_CORRUPT"]);
    expect(outcome.resets).toBe(1);
    expect(reports).toEqual([1]);
    const db = await openDb(indexedDB);
    const quarantined = (await allOf(db, "quarantine")) as { store: string; record: { bytes: Uint8Array } }[];
    db.close();
    expect(quarantined.map((q) => q.store)).toEqual(["log"]);
    // Kept as found: the marker with its flipped bit, not the marker itself.
    expect(holds((quarantined[0] as { record: { bytes: Uint8Array } }).record.bytes, MARKER)).toBe(false);
    expect(outcome.marker).toBe(MARKER);
    expect(outcome.offlineWrites).toEqual(outcome.expectedOffline);
    expect(outcome.afterwards).toBe("healed");
    expect(outcome.identical).toBe(true);
    expect(outcome.newId).toBe(true);
  }, 30_000);
});
