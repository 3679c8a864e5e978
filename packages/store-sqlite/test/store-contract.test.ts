import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreTests } from "@converge/sync/testing";
import { describe, it } from "vitest";
import { sqliteStore } from "../src/index.ts";

// Both threads keep the same contract: the worker store (the default) and the main-thread one.
for (const thread of ["worker", "main"] as const) {
  runStoreTests(
    `sqliteStore (file, synchronous full, thread ${thread})`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), "converge-sqlite-contract-"));
      const path = join(dir, "store.db");
      return {
        store: sqliteStore({ path, thread }),
        reopen: () => sqliteStore({ path, thread }),
        teardown: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    { describe, it },
  );
}

runStoreTests(
  "sqliteStore (:memory:, thread worker)",
  () => ({
    store: sqliteStore({ path: ":memory:" }),
    cannotReopen: "an in-memory database ends with its connection",
  }),
  { describe, it },
);
