import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A `require` resolving as `@hocuspocus/extension-sqlite` does (its own better-sqlite3). */
export function extensionRequire(): NodeJS.Require {
  return createRequire(require.resolve("@hocuspocus/extension-sqlite"));
}

/**
 * Checks that Hocuspocus's SQLite extension can load its native driver (`better-sqlite3` 13,
 * pinned by an override in pnpm-workspace.yaml: 12 crashes Node 24 when its statements are
 * garbage-collected). 13 ships prebuilt binaries in its npm package, so nothing is built here.
 */
export function ensureBetterSqlite(): void {
  try {
    const Database = extensionRequire()("better-sqlite3") as new (path: string) => { close(): void };
    new Database(":memory:").close();
  } catch (e) {
    throw new Error(
      `the Hocuspocus SQLite rows need better-sqlite3, which does not load in Node ${process.versions.node}: ${String(e)}`,
    );
  }
}
