import { describe, expect, it } from "vitest";
import {
  type DocumentStore,
  type OutboxEntry,
  type PeerRecord,
  type Store,
  SyncError,
} from "../src/index.ts";
import { runStoreTests, type StoreHarness } from "../src/testing/index.ts";

/** What the reference store keeps per document: plain records, outliving any one store instance. */
interface Records {
  snapshot: Uint8Array | undefined;
  log: Uint8Array[];
  outbox: OutboxEntry[];
  peers: Map<string, PeerRecord>;
}
type Backing = Map<string, Records>;

const copyEntry = (e: OutboxEntry): OutboxEntry => ({ seq: e.seq, op: e.op.slice() });
const copyPeer = (p: PeerRecord): PeerRecord => ({
  peer: p.peer,
  vector: p.vector.slice(),
  seenAt: p.seenAt,
});
const closedError = (): SyncError => new SyncError("STORE_CLOSED", "the store is closed");

/**
 * A small reference store over a `Backing` map, written from the Store TSDoc alone so the contract
 * kit has something independent of the package's own `memoryStore()` to run against. Commits are
 * chained on one promise (call order), copy their bytes in both directions, and apply whole.
 */
function referenceStore(backing: Backing): Store {
  let open = true;
  let queue: Promise<void> = Promise.resolve();
  const handles = new Set<{ closed: boolean }>();
  const enqueue = <T>(work: () => T): Promise<T> => {
    const next = queue.then(work);
    queue = next.then(
      () => {},
      () => {},
    );
    return next;
  };
  const openDocument = (name: string): DocumentStore => {
    if (!backing.has(name)) backing.set(name, { snapshot: undefined, log: [], outbox: [], peers: new Map() });
    const records = backing.get(name) as Records;
    const handle = { closed: false };
    handles.add(handle);
    const guard = (): void => {
      if (handle.closed || !open) throw closedError();
    };
    return {
      load: async () => {
        guard();
        return enqueue(() => ({
          snapshot: records.snapshot?.slice(),
          log: records.log.map((b) => b.slice()),
          outbox: records.outbox.map(copyEntry),
          peers: [...records.peers.values()].map(copyPeer),
        }));
      },
      commit: async (batch) => {
        guard();
        const b = {
          snapshot: batch.snapshot?.slice(),
          append: (batch.append ?? []).map((x) => x.slice()),
          outboxAdd: (batch.outboxAdd ?? []).map(copyEntry),
          acked: batch.outboxAckedUpTo,
          peers: (batch.peers ?? []).map(copyPeer),
          remove: [...(batch.removePeers ?? [])],
        };
        return enqueue(() => {
          if (b.snapshot !== undefined) {
            records.snapshot = b.snapshot;
            records.log = [];
          }
          records.log.push(...b.append);
          if (b.acked !== undefined)
            records.outbox = records.outbox.filter((e) => e.seq > (b.acked as number));
          records.outbox.push(...b.outboxAdd);
          for (const p of b.peers) records.peers.set(p.peer, p);
          for (const id of b.remove) records.peers.delete(id);
        });
      },
      close: async () => {
        if (handle.closed) return;
        await enqueue(() => {});
        handle.closed = true;
      },
    };
  };
  return {
    open: async (name) => {
      if (!open) throw closedError();
      return openDocument(name);
    },
    documents: async () => {
      if (!open) throw closedError();
      return [...backing.keys()];
    },
    close: async () => {
      if (!open) return;
      await enqueue(() => {});
      open = false;
      for (const h of handles) h.closed = true;
    },
  };
}

runStoreTests(
  "reference store (persistent backing)",
  () => {
    const backing: Backing = new Map();
    return { store: referenceStore(backing), reopen: () => referenceStore(backing) };
  },
  { describe, it },
);

runStoreTests(
  "reference store (nothing kept across instances)",
  () => ({ store: referenceStore(new Map()), cannotReopen: "a fresh backing map per instance" }),
  { describe, it },
);

/** The kit's tests for `setup`, collected with a stand-in framework and run one by one. */
async function failures(setup: () => StoreHarness): Promise<string[]> {
  const tests: { title: string; body: () => Promise<void> }[] = [];
  runStoreTests("mutant", setup, {
    describe: (_n, body) => body(),
    it: (title, body) => tests.push({ title, body }),
  });
  const failed: string[] = [];
  for (const t of tests) {
    try {
      await t.body();
    } catch {
      failed.push(t.title);
    }
  }
  return failed;
}

/** A persistent reference store with its document handles changed by `mutate`. */
function mutant(mutate: (doc: DocumentStore) => DocumentStore, reopen = true): () => StoreHarness {
  return () => {
    const backing: Backing = new Map();
    const wrap = (s: Store): Store => ({ ...s, open: async (n) => mutate(await s.open(n)) });
    return reopen
      ? { store: wrap(referenceStore(backing)), reopen: () => wrap(referenceStore(backing)) }
      : { store: wrap(referenceStore(backing)), cannotReopen: "" };
  };
}

describe("runStoreTests catches broken stores", () => {
  it("passes the reference store (no test fails)", async () => {
    expect(await failures(mutant((d) => d))).toEqual([]);
  });

  it("fails a harness that neither reopens nor says why", async () => {
    expect(await failures(mutant((d) => d, false))).toEqual([
      "a reopened store holds everything committed before close (or the harness says why not)",
    ]);
  });

  it.each<[string, (d: DocumentStore) => DocumentStore, string]>([
    [
      "keeps the log before a snapshot",
      (d) => ({ ...d, commit: (b) => d.commit({ ...b, snapshot: undefined as never }) }),
      "a snapshot replaces",
    ],
    [
      "does not copy committed bytes",
      (d) => ({
        ...d,
        commit: async (b) => {
          await Promise.resolve();
          return d.commit(b);
        },
      }),
      "copied both ways",
    ],
    [
      "commits in reverse when not awaited",
      (d) => {
        let held: Parameters<DocumentStore["commit"]>[0] | undefined;
        return {
          ...d,
          commit: async (b) => {
            if (held === undefined && (b.append?.length ?? 0) > 0 && b.outboxAdd !== undefined) {
              held = b;
              return;
            }
            await d.commit(b);
            if (held !== undefined) {
              const h = held;
              held = undefined;
              await d.commit(h);
            }
          },
        };
      },
      "call order",
    ],
    [
      "resolves load after close",
      (d) => ({
        ...d,
        load: () => d.load().catch(() => ({ snapshot: undefined, log: [], outbox: [], peers: [] })),
      }),
      "STORE_CLOSED",
    ],
  ])("fails a store that %s", async (_what, mutate, law) => {
    const failed = await failures(mutant(mutate));
    expect(
      failed.some((title) => title.includes(law)),
      failed.join("; "),
    ).toBe(true);
  });
});
