import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isConvergeError } from "@converge/hlc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { killAfterOutput } from "../../../test/kit/kill-after-output.ts";
import { sqliteStore } from "../src/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "converge-sqlite-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe.each(["worker", "main"] as const)("sqliteStore (thread %s)", (thread) => {
  it("keeps snapshot, log, outbox and peers across a reopen, the snapshot replacing the older log", async () => {
    const path = join(dir, "a.db");
    let store = sqliteStore({ path, thread });
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
    await store.close();
    store = sqliteStore({ path, thread });
    const loaded = await (await store.open("shop")).load();
    expect(loaded).toEqual({
      snapshot: bytes(7, 7),
      log: [bytes(3)],
      outbox: [{ seq: 2, op: bytes(8) }],
      peers: [{ peer: "p2", vector: bytes(6), seenAt: 11 }],
    });
    expect(await store.documents()).toEqual(["shop"]);
    await store.close();
  });

  it("commits made in one turn share a transaction, apply in call order, and a failing one fails alone", async () => {
    const store = sqliteStore({ path: join(dir, "b.db"), thread });
    const doc = await store.open("d");
    const all = [];
    for (let i = 0; i < 500; i++) all.push(doc.commit({ append: [bytes(i & 0xff, i >> 8)] }));
    await Promise.all(all);
    const { log } = await doc.load();
    expect(log.map((b) => (b[0] as number) + ((b[1] as number) << 8))).toEqual([...Array(500).keys()]);
    await store.close();
  });

  it("copies bytes in and out", async () => {
    const store = sqliteStore({ path: ":memory:", thread });
    const doc = await store.open("d");
    const input = bytes(1, 2, 3);
    const pending = doc.commit({ append: [input] });
    input[0] = 99;
    await pending;
    const first = await doc.load();
    (first.log[0] as Uint8Array)[1] = 42;
    expect((await doc.load()).log).toEqual([bytes(1, 2, 3)]);
    await store.close();
  });

  it("refuses use after close with STORE_CLOSED", async () => {
    const store = sqliteStore({ path: ":memory:", thread });
    const doc = await store.open("d");
    await store.close();
    await expect(doc.commit({})).rejects.toSatisfy((e: unknown) => isConvergeError(e, "STORE_CLOSED"));
    await expect(store.open("e")).rejects.toSatisfy((e: unknown) => isConvergeError(e, "STORE_CLOSED"));
  });

  it("a flipped byte in a stored row is STORE_CORRUPT; with onCorrupt the file is kept aside and the row dropped", async () => {
    const path = join(dir, "c.db");
    const store = sqliteStore({ path, thread });
    const doc = await store.open("d");
    const marker = new Uint8Array(40).fill(0xab);
    await doc.commit({ append: [bytes(1), marker], outboxAdd: [{ seq: 1, op: bytes(5) }] });
    await store.close();
    // Flip one bit inside the marker row's bytes, in the database file itself.
    const file = readFileSync(path);
    const at = file.indexOf(Buffer.from(marker));
    expect(at).toBeGreaterThan(0);
    file[at + 3] = (file[at + 3] as number) ^ 0x01;
    writeFileSync(path, file);

    const refusing = sqliteStore({ path, thread });
    await expect((await refusing.open("d")).load()).rejects.toSatisfy(
      (e: unknown) =>
        isConvergeError(e, "STORE_CORRUPT") && String((e as Error).message).includes("log entries 2"),
    );
    await refusing.close();
    expect(readFileSync(path).equals(file)).toBe(true); // refusing touched nothing

    const reports: string[] = [];
    const healing = sqliteStore({
      path,
      thread,
      onCorrupt: (e, keptAt) => reports.push(`${e.code} ${keptAt}`),
    });
    const loaded = await (await healing.open("d")).load();
    expect(loaded.log).toEqual([bytes(1)]);
    expect(loaded.outbox).toEqual([{ seq: 1, op: bytes(5) }]);
    expect(reports).toEqual([`STORE_CORRUPT ${path}.corrupt-1`]);
    expect(statSync(`${path}.corrupt-1`).size).toBeGreaterThan(0);
    expect(isConvergeError(loaded.damaged, "STORE_CORRUPT")).toBe(true);
    // The copy kept aside still holds the damaged row, bit flip included: nothing was deleted.
    const flipped = Buffer.from(marker);
    flipped[3] = (flipped[3] as number) ^ 0x01;
    expect(readFileSync(`${path}.corrupt-1`).indexOf(flipped)).toBeGreaterThan(0);
    await healing.close();
  });

  it("a truncated file is refused, or renamed aside and started afresh", async () => {
    const path = join(dir, "t.db");
    const store = sqliteStore({ path, thread });
    const doc = await store.open("d");
    await doc.commit({ snapshot: new Uint8Array(20_000).fill(3) });
    await store.close();
    rmSync(`${path}-wal`, { force: true });
    const file = readFileSync(path);
    writeFileSync(path, file.subarray(0, 1000));
    await expect(sqliteStore({ path, thread }).open("d")).rejects.toSatisfy((e: unknown) =>
      isConvergeError(e, "STORE_CORRUPT"),
    );
    const kept: string[] = [];
    const fresh = sqliteStore({ path, thread, onCorrupt: (_e, at) => kept.push(at) });
    const loaded = await (await fresh.open("d")).load();
    const { damaged, ...records } = loaded;
    expect(records).toEqual({ snapshot: undefined, log: [], outbox: [], peers: [] });
    expect(isConvergeError(damaged, "STORE_CORRUPT")).toBe(true);
    // Reported once: the next load of the fresh file is clean.
    expect((await (await fresh.open("d")).load()).damaged).toBeUndefined();
    expect(kept).toEqual([`${path}.corrupt-1`]);
    expect(readFileSync(`${path}.corrupt-1`).equals(file.subarray(0, 1000))).toBe(true);
    await fresh.close();
  });

  it("a file that is not a database at all is STORE_CORRUPT, not a crash", async () => {
    const path = join(dir, "junk.db");
    writeFileSync(path, "this is not sqlite".repeat(100));
    await expect(sqliteStore({ path, thread }).documents()).rejects.toSatisfy((e: unknown) =>
      isConvergeError(e, "STORE_CORRUPT"),
    );
    expect(existsSync(path)).toBe(true);
  });
});

describe("kill -9", () => {
  const child = fileURLToPath(new URL("./writer-child.ts", import.meta.url));
  const cases = [
    ["full", "worker"],
    ["normal", "worker"],
    ["full", "main"],
  ] as const;
  for (const [mode, thread] of cases) {
    it(`every commit acknowledged before SIGKILL is there after a restart (synchronous: ${mode}, thread ${thread})`, async () => {
      const path = join(dir, `k-${mode}-${thread}.db`);
      let start = 0;
      for (let round = 0; round < 5; round++) {
        const acked = await killAfterOutput([child, path, mode, thread], {
          afterMs: 150 + round * 60,
          env: { START: String(start) },
        });
        const store = sqliteStore({ path });
        const doc = await store.open("doc");
        const { log, outbox } = await doc.load();
        await store.close();
        const present = new Set(log.map((b) => new DataView(b.buffer, b.byteOffset).getUint32(0)));
        const missing = acked.filter((n) => !present.has(n));
        expect(missing, `round ${round}: acknowledged but lost`).toEqual([]);
        expect(acked.length, "the child acknowledged commits before it was killed").toBeGreaterThan(0);
        expect(outbox.length).toBe(log.length); // each batch was atomic: log row and outbox row together
        start = Math.max(...present) + 1;
      }
    }, 60_000);
  }
});

describe("kill -9 during log compaction", () => {
  const child = fileURLToPath(new URL("./compacting-child.ts", import.meta.url));
  it("a kill while snapshots replace the log loses no acknowledged entry and leaves a loadable file", async () => {
    const path = join(dir, "compacting.db");
    let start = 0;
    let total = 0;
    for (let round = 0; round < 8; round++) {
      const acked = await killAfterOutput([child, path], {
        afterMs: 80 + round * 40,
        env: { START: String(start) },
      });
      const store = sqliteStore({ path });
      const { snapshot, log } = await (await store.open("doc")).load(); // never STORE_CORRUPT
      await store.close();
      const present = new Set<number>();
      if (snapshot !== undefined) {
        const view = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
        const count = view.getUint32(snapshot.length - 4);
        for (let i = 0; i < count; i++) present.add(view.getUint32(4 * i));
      }
      for (const b of log) present.add(new DataView(b.buffer, b.byteOffset).getUint32(0));
      const lost = acked.filter((n) => !present.has(n));
      expect(lost, `round ${round}: acknowledged, then lost by a kill during compaction`).toEqual([]);
      total += acked.length;
      start = Math.max(start, ...present) + 1;
    }
    expect(total).toBeGreaterThan(50);
  }, 60_000);
});
