import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { type ConvergeError, isConvergeError } from "@converge/hlc";
import { rowChecksum } from "@converge/sync";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batchPacker, unpackBatches } from "../src/batch-codec.ts";
import { sqliteStore } from "../src/index.ts";
import { rowCrc } from "../src/row-crc.ts";
import { workerOf } from "../src/worker-store.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "converge-sqlite-worker-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (n: number): Uint8Array => {
  const b = new Uint8Array(16).fill(n & 0xff);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const numbers = (log: readonly Uint8Array[]): number[] =>
  log.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0));

/** Settles every promise, telling which resolved and with which error code the others rejected. */
const outcomes = (ps: readonly Promise<void>[]): Promise<(string | "ok")[]> =>
  Promise.all(
    ps.map((p) =>
      p.then(
        () => "ok" as const,
        (e: unknown) => (isConvergeError(e) ? e.code : `untyped: ${String(e)}`),
      ),
    ),
  );

describe("the worker store", () => {
  it("writes the same row checksums as @converge/sync's rowChecksum (native zlib.crc32)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("snapshot", "log", "outbox", "peer"),
        fc.nat(),
        fc.oneof(fc.nat(), fc.string()),
        fc.uint8Array({ maxLength: 300 }),
        (table, doc, pos, bytes) => rowCrc(table, doc, pos, bytes) === rowChecksum(table, doc, pos, bytes),
      ),
    );
  });

  it("batches packed for the worker unpack as they were (the arrays copied in at add)", () => {
    const bytes = fc.uint8Array({ maxLength: 70 });
    const batch = fc.record(
      {
        snapshot: bytes,
        append: fc.array(bytes, { maxLength: 5 }),
        outboxAdd: fc.array(fc.record({ seq: fc.nat(), op: bytes }), { maxLength: 4 }),
        outboxAckedUpTo: fc.nat(),
        peers: fc.array(fc.record({ peer: fc.string(), vector: bytes, seenAt: fc.nat() }), { maxLength: 3 }),
        removePeers: fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), batch), { maxLength: 6 }),
        fc.nat({ max: 300 }),
        (items, initial) => {
          const packer = batchPacker(initial + 1);
          const expected = structuredClone(items);
          for (const [doc, b] of items) packer.add(doc, b);
          for (const [, b] of items) b.snapshot?.fill(0xee); // the caller reuses its arrays
          const count = packer.count();
          const got = unpackBatches(packer.take(), count);
          expect(packer.count()).toBe(0);
          const plain = (b: object): unknown =>
            JSON.parse(JSON.stringify(b, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));
          const empty = (b: Record<string, unknown>): Record<string, unknown> =>
            Object.fromEntries(Object.entries(b).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
          expect(got.map((g) => [g.doc, plain(g.batch)])).toEqual(
            expected.map(([d, b]) => [d, plain(empty(b))]),
          );
        },
      ),
    );
  });

  it("a worker that dies rejects every pending commit with SQLITE_WORKER_DIED, never resolving one, and the store reports itself failed", async () => {
    const path = join(dir, "dies.db");
    const told: ConvergeError[] = [];
    const store = sqliteStore({ path, onFailure: (e) => told.push(e) });
    const doc = await store.open("doc");
    for (let n = 0; n < 20; n++) await doc.commit({ append: [entry(n)] });
    expect(store.failure()).toBeUndefined();
    const worker = workerOf.get(store)?.worker;
    await workerOf.get(store)?.started; // commits now go to the worker, not to the starter
    // One commit of a large snapshot in flight, many queued behind it, then the worker is gone.
    const pending: Promise<void>[] = [doc.commit({ snapshot: new Uint8Array(8 << 20).fill(7) })];
    for (let n = 20; n < 120; n++) pending.push(doc.commit({ append: [entry(n)] }));
    await worker?.terminate();
    const settled = await outcomes(pending);
    expect(new Set(settled)).toEqual(new Set(["SQLITE_WORKER_DIED"]));
    expect(told.map((e) => e.code)).toEqual(["SQLITE_WORKER_DIED"]);
    expect(isConvergeError(store.failure(), "SQLITE_WORKER_DIED")).toBe(true);
    // Every later call is refused with the same code; close still works, once and again.
    const later = await outcomes([
      doc.commit({ append: [entry(999)] }),
      doc.load().then(() => {}),
      store.open("other").then(() => {}),
      store.documents().then(() => {}),
    ]);
    expect(later).toEqual([
      "SQLITE_WORKER_DIED",
      "SQLITE_WORKER_DIED",
      "SQLITE_WORKER_DIED",
      "SQLITE_WORKER_DIED",
    ]);
    await store.close();
    await store.close();
    // The file still holds every commit that resolved; of those that rejected, any subset.
    const again = sqliteStore({ path });
    const { log, snapshot } = await (await again.open("doc")).load();
    const present = numbers(log);
    if (snapshot === undefined) expect(present.slice(0, 20)).toEqual([...Array(20).keys()]);
    else expect(snapshot.length).toBe(8 << 20);
    await again.close();
  });

  it("commits made while one is in flight all go in the next transaction, resolved in one go, in call order", async () => {
    const store = sqliteStore({ path: join(dir, "group.db") });
    await workerOf.get(store)?.started;
    const doc = await store.open("doc");
    await doc.commit({});
    // An event-loop "epoch" counter: every batch resolved by one reply sees the same value.
    let epoch = 0;
    let ticking = true;
    const tick = (): void => {
      epoch++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: number[] = [];
    const first = doc.commit({ snapshot: new Uint8Array(4 << 20).fill(1) }).then(() => seen.push(epoch));
    await new Promise((r) => setImmediate(r)); // the first is sent at the end of its turn
    const rest: Promise<number>[] = [];
    for (let n = 0; n < 200; n++) rest.push(doc.commit({ append: [entry(n)] }).then(() => epoch));
    await first;
    const epochs = await Promise.all(rest);
    ticking = false;
    expect(new Set(epochs).size, "200 commits queued behind one in flight resolved by one reply").toBe(1);
    expect(epochs[0]).toBeGreaterThan(seen[0] as number);
    const { log, snapshot } = await doc.load();
    expect(snapshot?.length).toBe(4 << 20);
    expect(numbers(log)).toEqual([...Array(200).keys()]);
    await store.close();
  });

  it("a commit's fsync does not stop the caller's event loop (the main-thread store's does)", async () => {
    const ticks: Record<string, number> = {};
    for (const thread of ["worker", "main"] as const) {
      const store = sqliteStore({ path: join(dir, `${thread}.db`), thread });
      await workerOf.get(store)?.started;
      const doc = await store.open("doc");
      await doc.commit({});
      let count = 0;
      let ticking = true;
      const tick = (): void => {
        count++;
        if (ticking) setImmediate(tick);
      };
      const big = new Uint8Array(32 << 20).fill(3);
      const committed = doc.commit({ snapshot: big });
      setImmediate(tick);
      await committed;
      ticking = false;
      ticks[thread] = count;
      expect((await doc.load()).snapshot?.length).toBe(32 << 20);
      await store.close();
    }
    // Writing 32 MiB and fsyncing it takes many milliseconds: the worker store's caller turns
    // its event loop all the while; the main-thread store's is blocked for the whole commit.
    expect(ticks["worker"], JSON.stringify(ticks)).toBeGreaterThan(20);
    expect(ticks["main"], JSON.stringify(ticks)).toBeLessThanOrEqual(3);
  }, 60_000);

  it("serves calls on the calling thread until the worker is up, then hands over, one file throughout", async () => {
    const path = join(dir, "starter.db");
    const store = sqliteStore({ path });
    const doc = await store.open("doc"); // before the worker can have started
    const early = [1, 2, 3].map((n) => doc.commit({ append: [entry(n)] }));
    await Promise.all(early);
    await workerOf.get(store)?.started;
    await doc.commit({ append: [entry(4)] });
    expect(numbers((await doc.load()).log)).toEqual([1, 2, 3, 4]);
    await store.close();
    const again = sqliteStore({ path, thread: "main" });
    expect(numbers((await (await again.open("doc")).load()).log)).toEqual([1, 2, 3, 4]);
    await again.close();
  });

  it("an idle store does not keep the process alive, a pending commit does", () => {
    const child = fileURLToPath(new URL("./idle-child.ts", import.meta.url));
    const run = spawnSync(process.execPath, ["--conditions=@converge/source", child, join(dir, "idle.db")], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe("committed 50");
    const refused = spawnSync(
      process.execPath,
      ["--conditions=@converge/source", child, join(dir, "junk.db"), "refused"],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(refused.status, "exits on its own after a refused first call").toBe(0);
    expect(refused.stdout.trim()).toBe("refused STORE_CORRUPT");
  }, 60_000);
});

describe.each(["worker", "main"] as const)("typed SQLite errors (thread %s)", (thread) => {
  it("a database locked by another connection: SQLITE_BUSY, nothing written, the store goes on", async () => {
    const path = join(dir, "busy.db");
    const store = sqliteStore({ path, thread });
    const doc = await store.open("doc");
    await doc.commit({ append: [entry(1)] });
    const other = new DatabaseSync(path, { timeout: 0 });
    other.exec("BEGIN IMMEDIATE");
    const refused = await outcomes([doc.commit({ append: [entry(2)] }), doc.commit({ append: [entry(3)] })]);
    expect(refused).toEqual(["SQLITE_BUSY", "SQLITE_BUSY"]);
    other.exec("ROLLBACK");
    other.close();
    expect(store.failure()).toBeUndefined();
    await doc.commit({ append: [entry(4)] });
    expect(numbers((await doc.load()).log)).toEqual([1, 4]);
    await store.close();
  });

  it("a full database (maxBytes): SQLITE_FULL for the batch that does not fit, the others kept", async () => {
    const path = join(dir, "full.db");
    const store = sqliteStore({ path, thread, maxBytes: 256 * 1024 });
    const doc = await store.open("doc");
    await doc.commit({ append: [entry(1)] });
    const results = await outcomes([
      doc.commit({ append: [entry(2)] }),
      doc.commit({ snapshot: new Uint8Array(1 << 20).fill(9), append: [entry(3)] }),
      doc.commit({ append: [entry(4)] }),
    ]);
    expect(results).toEqual(["ok", "SQLITE_FULL", "ok"]);
    const { snapshot, log } = await doc.load();
    expect(snapshot).toBeUndefined();
    expect(numbers(log)).toEqual([1, 2, 4]);
    expect(store.failure()).toBeUndefined();
    await store.close();
  });
});
