import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReplicatedMap } from "@converge/core";
import { sqliteStore } from "@converge/store-sqlite";
import { loadReplica } from "@converge/sync";
import { schema, selectQuery, upsertQuery } from "@hocuspocus/extension-sqlite";
import * as Y from "yjs";
import { collectGarbage, median } from "../measure.ts";
import { BENCH_RULES } from "../sync/bench-rules.ts";
import { ensureBetterSqlite, extensionRequire } from "./native-sqlite.ts";

/** Loading one large document from SQLite against applying the same bytes in memory. */
export interface LoadResult {
  readonly keys: number;
  readonly reps: number;
  readonly converge: {
    readonly stateBytes: number;
    readonly fileBytes: number;
    /** `sqliteStore` open + `load()` + `loadReplica`, ms (median). */
    readonly loadMs: number;
    /** `applyState` of the same bytes into an empty map, ms (median). */
    readonly applyMs: number;
    readonly sameState: boolean;
  };
  readonly hocuspocus: {
    readonly stateBytes: number;
    /** The SQLite extension's select + `Y.applyUpdate` into a fresh Y.Doc, ms (median). */
    readonly loadMs: number;
    /** `Y.applyUpdate` of the same bytes, ms (median). */
    readonly applyMs: number;
  };
}

type Db = {
  exec(sql: string): void;
  prepare(sql: string): { run(p: object): void; get(p: object): { data: Uint8Array } | undefined };
  close(): void;
};

const timeMs = (f: () => void): number => {
  collectGarbage();
  const t = performance.now();
  f();
  return performance.now() - t;
};

/** Stores a `keys`-key document in each system's SQLite, then loads it `reps` times from a cold handle. */
export async function runLoad(keys: number, reps: number, log: (m: string) => void): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "converge-bench-load-"));
  try {
    // converge: one snapshot in a sqliteStore, as a server's compaction leaves it.
    const source = createReplicatedMap({ resolvers: BENCH_RULES });
    source.batch(() => {
      for (let i = 0; i < keys; i++) source.set(`key:${i}`, i);
    });
    const state = source.encodeState();
    const path = join(dir, "converge.sqlite");
    const writer = sqliteStore({ path });
    await (await writer.open("doc")).commit({ snapshot: state });
    await writer.close();
    log(`load: converge ${keys} keys stored (${state.length} B)`);
    const loadTimes: number[] = [];
    const applyTimes: number[] = [];
    let sameState = true;
    for (let r = 0; r < reps; r++) {
      collectGarbage();
      const t = performance.now();
      const store = sqliteStore({ path });
      const loaded = loadReplica(await (await store.open("doc")).load(), { resolvers: BENCH_RULES });
      loadTimes.push(performance.now() - t);
      await store.close();
      const applied = createReplicatedMap({ resolvers: BENCH_RULES });
      applyTimes.push(timeMs(() => applied.applyState(state)));
      if (r === 0) sameState = Buffer.compare(loaded.map.encodeState(), applied.encodeState()) === 0;
    }

    // Hocuspocus: the extension's own schema and queries, on its own driver.
    ensureBetterSqlite();
    const Database = extensionRequire()("better-sqlite3") as new (path: string) => Db;
    const ydoc = new Y.Doc();
    const m = ydoc.getMap<number>("m");
    ydoc.transact(() => {
      for (let i = 0; i < keys; i++) m.set(`key:${i}`, i);
    });
    const update = Y.encodeStateAsUpdate(ydoc);
    ydoc.destroy();
    const hpPath = join(dir, "hocuspocus.sqlite");
    const db = new Database(hpPath);
    db.exec(schema);
    db.prepare(upsertQuery).run({ name: "doc", data: update });
    db.close();
    const hpLoad: number[] = [];
    const hpApply: number[] = [];
    for (let r = 0; r < reps; r++) {
      hpLoad.push(
        timeMs(() => {
          const cold = new Database(hpPath);
          const row = cold.prepare(selectQuery).get({ name: "doc" });
          cold.close();
          const d = new Y.Doc();
          if (row !== undefined) Y.applyUpdate(d, row.data);
          d.destroy();
        }),
      );
      hpApply.push(
        timeMs(() => {
          const d = new Y.Doc();
          Y.applyUpdate(d, update);
          d.destroy();
        }),
      );
    }
    return {
      keys,
      reps,
      converge: {
        stateBytes: state.length,
        fileBytes: statSync(path).size,
        loadMs: median(loadTimes),
        applyMs: median(applyTimes),
        sameState,
      },
      hocuspocus: { stateBytes: update.length, loadMs: median(hpLoad), applyMs: median(hpApply) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
