import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreTests } from "@converge/sync/testing";
import { describe, it } from "vitest";
import { sqliteStore } from "../src/index.ts";

runStoreTests(
  "sqliteStore (file, synchronous full)",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "converge-sqlite-contract-"));
    const path = join(dir, "store.db");
    return {
      store: sqliteStore({ path }),
      reopen: () => sqliteStore({ path }),
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { describe, it },
);

runStoreTests(
  "sqliteStore (:memory:)",
  () => ({
    store: sqliteStore({ path: ":memory:" }),
    cannotReopen: "an in-memory database ends with its connection",
  }),
  { describe, it },
);
