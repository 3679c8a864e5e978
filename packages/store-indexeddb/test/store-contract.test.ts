import { runStoreTests } from "@converge/sync/testing";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { beforeAll, describe, it } from "vitest";
import { indexedDbStore } from "../src/index.ts";

beforeAll(() => {
  (globalThis as { IDBKeyRange?: unknown }).IDBKeyRange ??= IDBKeyRange;
});

runStoreTests(
  "indexedDbStore (fake-indexeddb)",
  () => {
    const indexedDB = new IDBFactory();
    return {
      store: indexedDbStore({ name: "contract", indexedDB }),
      reopen: () => indexedDbStore({ name: "contract", indexedDB }),
    };
  },
  { describe, it },
);
