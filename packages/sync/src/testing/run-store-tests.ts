import type { DocumentStore, OutboxEntry, PeerRecord, Store, StoreBatch, StoredDocument } from "../store.ts";
import {
  type ContractFramework,
  check,
  checkBytes,
  checkJson,
  fail,
  patternBytes,
} from "./contract-framework.ts";

/**
 * A store under test, and how to reach its backing storage again: either `reopen` (a SQLite
 * file, an IndexedDB database), or `cannotReopen` saying why the store keeps nothing across
 * instances (memory), so the persistence test checks that a reason was given instead.
 */
export type StoreHarness = {
  /** A fresh, empty store. */
  readonly store: Store;
  /** Called after each test, passed or failed (delete files, databases). */
  readonly teardown?: () => void | Promise<void>;
} & (
  | {
      /** Opens a new store over the same backing storage, after `store.close()` resolved. */
      readonly reopen: () => Store | Promise<Store>;
    }
  | {
      /** Why this store cannot be reopened over the same storage (e.g. "memory: nothing outlives close"). */
      readonly cannotReopen: string;
    }
);

/**
 * Document names the kit requires to be distinct, valid documents: a store keys documents by the
 * exact string (no trimming, no case folding, no path interpretation), and the empty string is a
 * name like any other. Names are well-formed Unicode without NUL; adapters may refuse NUL and
 * lone surrogates.
 */
export const ODD_DOCUMENT_NAMES: readonly string[] = [
  "",
  " ",
  "/",
  "a/b",
  "a\\b",
  "..",
  "../escape",
  "%2F",
  "A",
  "a",
  "ünï cødé 🎉",
  "line\nbreak",
  "x".repeat(300),
];

const EMPTY = { snapshot: undefined, log: [], outbox: [], peers: [] };

/** A loaded document in a comparable form (bytes as arrays, peers sorted by id). */
function plain(doc: StoredDocument): unknown {
  return {
    snapshot: doc.snapshot === undefined ? undefined : [...doc.snapshot],
    log: doc.log.map((b) => [...b]),
    outbox: doc.outbox.map((e) => ({ seq: e.seq, op: [...e.op] })),
    peers: [...doc.peers]
      .sort((x, y) => (x.peer < y.peer ? -1 : x.peer > y.peer ? 1 : 0))
      .map((p) => ({ peer: p.peer, vector: [...p.vector], seenAt: p.seenAt })),
  };
}

/**
 * What a document must hold after `batches` are committed in order: the oracle the kit checks
 * every adapter against (a snapshot drops the log before it; acks drop outbox entries up to a
 * seq, then adds come after; peers upsert by id, then removals).
 */
function oracle(batches: readonly StoreBatch[]): unknown {
  let snapshot: Uint8Array | undefined;
  let log: Uint8Array[] = [];
  let outbox: OutboxEntry[] = [];
  const peers = new Map<string, PeerRecord>();
  for (const b of batches) {
    if (b.snapshot !== undefined) {
      snapshot = b.snapshot;
      log = [];
    }
    log.push(...(b.append ?? []));
    const acked = b.outboxAckedUpTo;
    if (acked !== undefined) outbox = outbox.filter((e) => e.seq > acked);
    outbox.push(...(b.outboxAdd ?? []));
    for (const p of b.peers ?? []) peers.set(p.peer, p);
    for (const id of b.removePeers ?? []) peers.delete(id);
  }
  return plain({ snapshot, log, outbox, peers: [...peers.values()] });
}

function bytes(n: number, seed: number): Uint8Array {
  return patternBytes(n, seed);
}

function peer(id: string, seed: number, seenAt: number): PeerRecord {
  return { peer: id, vector: bytes(8 + (seed % 5), seed), seenAt };
}

/** Fails unless `promise` rejects with an error whose `code` is `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const got = (error as { code?: unknown } | null)?.code;
    check(got === code, `${what}: rejected with code ${String(got)}, expected ${code} (${String(error)})`);
    return;
  }
  fail(`${what}: resolved, expected a rejection with code ${code}`);
}

/**
 * The contract every {@link Store} adapter keeps, as tests registered with the caller's
 * framework, each on a fresh store from `setup`: an opened document loads empty; commits reload
 * as the oracle says (snapshot then log in commit order, outbox adds and acks up to a seq, peers
 * upserted and removed); a snapshot replaces the earlier log but not its own batch's appends;
 * commits not awaited one by one apply in call order; a load racing commits sees each batch whole
 * or not at all; bytes are copied both ways; documents are isolated and listed; odd names
 * ({@link ODD_DOCUMENT_NAMES}) are distinct documents; pending commits finish before `close`;
 * every call after `close` rejects with `STORE_CLOSED`; an object spread from a document handle
 * works as it; and, when the harness can `reopen` its
 * backing storage, everything committed is there again (else it states why in `cannotReopen`).
 *
 * @example
 * import { describe, it } from "vitest";
 * import { runStoreTests } from "@converge/sync/testing";
 * runStoreTests("my store", () => ({ store: myStore(), cannotReopen: "memory" }), { describe, it });
 */
export function runStoreTests(
  name: string,
  setup: () => StoreHarness | Promise<StoreHarness>,
  framework: ContractFramework,
): void {
  const { describe, it } = framework;
  const test = (title: string, body: (h: StoreHarness) => Promise<void>): void => {
    it(title, async () => {
      const harness = await setup();
      try {
        await body(harness);
      } finally {
        await harness.store.close();
        await harness.teardown?.();
      }
    }, 20_000);
  };
  const loads = async (doc: DocumentStore, expected: unknown, what: string): Promise<void> =>
    checkJson(plain(await doc.load()), expected, what);

  describe(`${name}: the Store contract`, () => {
    test("a document never written loads empty", async ({ store }) => {
      const doc = await store.open("fresh");
      await loads(doc, plain(EMPTY), "a new document");
      await doc.commit({});
      await loads(doc, plain(EMPTY), "after an empty batch (a barrier)");
    });

    test("an object spread from a document handle works as the handle", async ({ store }) => {
      // Wrappers spread a handle and replace a function or two: the copy must keep working.
      const doc = await store.open("copied");
      const copy: DocumentStore = { ...doc };
      const batch: StoreBatch = { snapshot: bytes(6, 1), append: [bytes(2, 2)] };
      await copy.commit(batch);
      await loads(copy, oracle([batch]), "loaded through the copy");
      await loads(doc, oracle([batch]), "loaded through the handle");
      await copy.close();
      await rejectsWith(doc.load(), "STORE_CLOSED", "load on a handle closed through its copy");
    });

    test("commits reload as committed: snapshot, log in order, outbox, peers", async ({ store }) => {
      const doc = await store.open("shop");
      const batches: StoreBatch[] = [
        { snapshot: bytes(40, 1), append: [bytes(5, 2), bytes(0, 3)] },
        {
          append: [bytes(7, 4)],
          outboxAdd: [
            { seq: 1, op: bytes(3, 5) },
            { seq: 2, op: bytes(4, 6) },
          ],
        },
        { outboxAdd: [{ seq: 4, op: bytes(2, 7) }], peers: [peer("p1", 1, 10), peer("p2", 2, 20)] },
        { outboxAckedUpTo: 2, peers: [peer("p1", 9, 30)] },
        { outboxAckedUpTo: 3, removePeers: ["p2", "unknown"] },
        { outboxAckedUpTo: 1, append: [bytes(1, 8)] },
      ];
      for (const [i, batch] of batches.entries()) {
        await doc.commit(batch);
        await loads(doc, oracle(batches.slice(0, i + 1)), `after commit ${i}`);
      }
    });

    test("a snapshot replaces earlier log entries, not its own batch's appends", async ({ store }) => {
      const doc = await store.open("compact");
      const batches: StoreBatch[] = [
        { append: [bytes(3, 1), bytes(3, 2)] },
        { snapshot: bytes(10, 3), append: [bytes(3, 4)] },
        { append: [bytes(3, 5)] },
        { snapshot: bytes(12, 6) },
      ];
      for (const [i, batch] of batches.entries()) {
        await doc.commit(batch);
        await loads(doc, oracle(batches.slice(0, i + 1)), `after commit ${i}`);
      }
      const last = await doc.load();
      checkBytes(last.snapshot, bytes(12, 6), "the latest snapshot");
      check(last.log.length === 0, "a snapshot without appends leaves an empty log");
    });

    test("commits not awaited one by one apply in call order", async ({ store }) => {
      const doc = await store.open("burst");
      const batches: StoreBatch[] = [];
      for (let i = 0; i < 60; i++) {
        batches.push({
          ...(i % 20 === 19 ? { snapshot: bytes(16, i) } : {}),
          append: [bytes(1 + (i % 9), 100 + i)],
          outboxAdd: [{ seq: i + 1, op: bytes(2, 200 + i) }],
          ...(i % 7 === 6 ? { outboxAckedUpTo: i - 2 } : {}),
          peers: [peer(`p${i % 4}`, i, i)],
          ...(i % 11 === 10 ? { removePeers: [`p${(i + 1) % 4}`] } : {}),
        });
      }
      await Promise.all(batches.map((b) => doc.commit(b)));
      await loads(doc, oracle(batches), "after 60 commits issued without awaiting");
    });

    test("a load racing commits sees each batch whole or not at all", async ({ store }) => {
      const doc = await store.open("atomic");
      const pending: Promise<unknown>[] = [];
      const seen: Promise<StoredDocument>[] = [];
      for (let i = 0; i < 40; i++) {
        pending.push(
          doc.commit({
            append: [bytes(4, i)],
            outboxAdd: [{ seq: i + 1, op: bytes(4, i) }],
            peers: [peer(`peer-${i}`, i, i)],
          }),
        );
        seen.push(doc.load());
      }
      await Promise.all(pending);
      for (const [i, loaded] of (await Promise.all(seen)).entries()) {
        const n = loaded.log.length;
        check(
          loaded.outbox.length === n && loaded.peers.length === n,
          `load ${i} saw part of a batch: ${n} log entries, ${loaded.outbox.length} outbox, ${loaded.peers.length} peers`,
        );
        for (const [j, entry] of loaded.log.entries()) checkBytes(entry, bytes(4, j), `load ${i}, log ${j}`);
      }
    });

    test("bytes are copied both ways", async ({ store }) => {
      const doc = await store.open("copies");
      const batch = {
        snapshot: bytes(20, 1),
        append: [bytes(6, 2)],
        outboxAdd: [{ seq: 3, op: bytes(6, 3) }],
        peers: [peer("p", 4, 5)],
      };
      const expected = oracle([batch]);
      const pending = doc.commit(batch);
      for (const b of [batch.snapshot, ...batch.append, batch.outboxAdd[0]?.op, batch.peers[0]?.vector])
        b?.fill(0xaa);
      await pending;
      await loads(doc, expected, "after the caller reused the committed buffers");
      const loaded = await doc.load();
      for (const b of [
        loaded.snapshot,
        ...loaded.log,
        ...loaded.outbox.map((e) => e.op),
        ...loaded.peers.map((p) => p.vector),
      ])
        b?.fill(0xbb);
      await loads(doc, expected, "after the caller changed the loaded buffers");
    });

    test("large payloads and long logs reload intact", async ({ store }) => {
      const doc = await store.open("large");
      const batches: StoreBatch[] = [
        { snapshot: bytes(1024 * 1024 + 3, 1) },
        { append: Array.from({ length: 1000 }, (_, i) => bytes(i % 50, i)) },
      ];
      for (const b of batches) await doc.commit(b);
      await loads(doc, oracle(batches), "a 1 MiB snapshot and 1000 log entries");
    });

    test("documents are isolated, and listed once committed", async ({ store }) => {
      const names = Array.from({ length: 20 }, (_, i) => `doc-${i}`);
      const docs = await Promise.all(names.map((n) => store.open(n)));
      await Promise.all(
        docs.map((d, i) => d.commit({ append: [bytes(3, i)], outboxAdd: [{ seq: 1, op: bytes(1, i) }] })),
      );
      for (const [i, d] of docs.entries())
        await loads(
          d,
          oracle([{ append: [bytes(3, i)], outboxAdd: [{ seq: 1, op: bytes(1, i) }] }]),
          names[i] as string,
        );
      const listed = new Set(await store.documents());
      for (const n of names) check(listed.has(n), `documents() lacks ${n}`);
      check(!listed.has("never-opened"), "documents() lists a document never opened");
    });

    test("two handles on one document share its records", async ({ store }) => {
      const first = await store.open("shared");
      const second = await store.open("shared");
      await first.commit({ append: [bytes(3, 1)] });
      await second.commit({ append: [bytes(3, 2)] });
      const expected = oracle([{ append: [bytes(3, 1)] }, { append: [bytes(3, 2)] }]);
      await loads(first, expected, "the first handle");
      await loads(second, expected, "the second handle");
    });

    test("odd names are distinct documents, listed as given", async ({ store }) => {
      for (const [i, n] of ODD_DOCUMENT_NAMES.entries())
        await (await store.open(n)).commit({ append: [bytes(2, i)] });
      for (const [i, n] of ODD_DOCUMENT_NAMES.entries())
        await loads(
          await store.open(n),
          oracle([{ append: [bytes(2, i)] }]),
          `document ${JSON.stringify(n)}`,
        );
      const listed = new Set(await store.documents());
      for (const n of ODD_DOCUMENT_NAMES) check(listed.has(n), `documents() lacks ${JSON.stringify(n)}`);
    });

    test("closing a handle lets pending commits finish, then refuses with STORE_CLOSED", async ({
      store,
    }) => {
      const doc = await store.open("closing");
      const pending = doc.commit({ append: [bytes(3, 1)] });
      await doc.close();
      await pending; // resolved, not rejected
      await doc.close(); // idempotent
      await rejectsWith(doc.load(), "STORE_CLOSED", "load on a closed handle");
      await rejectsWith(doc.commit({ append: [bytes(3, 2)] }), "STORE_CLOSED", "commit on a closed handle");
      await loads(await store.open("closing"), oracle([{ append: [bytes(3, 1)] }]), "a new handle");
    });

    test("after the store closes, every call rejects with STORE_CLOSED", async ({ store }) => {
      const doc = await store.open("gone");
      const pending = doc.commit({ append: [bytes(3, 1)] });
      await store.close();
      await pending;
      await store.close(); // idempotent
      await rejectsWith(store.open("gone"), "STORE_CLOSED", "open after close");
      await rejectsWith(store.documents(), "STORE_CLOSED", "documents after close");
      await rejectsWith(doc.load(), "STORE_CLOSED", "load on a handle of a closed store");
      await rejectsWith(doc.commit({}), "STORE_CLOSED", "commit on a handle of a closed store");
      await doc.close(); // still idempotent
    });

    test("a reopened store holds everything committed before close (or the harness says why not)", async (harness) => {
      if (!("reopen" in harness)) {
        const why = harness.cannotReopen;
        check(
          typeof why === "string" && why.trim() !== "",
          "a harness without reopen gives cannotReopen, a reason",
        );
        return;
      }
      const { store, reopen } = harness;
      const doc = await store.open("kept");
      const batches: StoreBatch[] = [
        { snapshot: bytes(30, 1), append: [bytes(4, 2)], outboxAdd: [{ seq: 7, op: bytes(3, 3) }] },
        { peers: [peer("p", 1, 99)], outboxAckedUpTo: 0, append: [bytes(2, 4)] },
      ];
      for (const b of batches) await doc.commit(b);
      await (await store.open("other/ü")).commit({ append: [bytes(1, 5)] });
      await store.close();
      const again = await reopen();
      try {
        await loads(await again.open("kept"), oracle(batches), "the reopened document");
        await loads(await again.open("other/ü"), oracle([{ append: [bytes(1, 5)] }]), "the other document");
        const listed = new Set(await again.documents());
        check(listed.has("kept") && listed.has("other/ü"), "documents() after reopen");
      } finally {
        await again.close();
      }
    });
  });
}
