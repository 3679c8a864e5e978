// The self-healing scenario every client store adapter runs (store-sqlite, store-indexeddb).
import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import { lww, pncounter } from "@converge/resolvers";
import {
  connect,
  createSyncHost,
  type DocumentStore,
  loadReplica,
  memoryTransportPair,
  type Store,
  type SyncSession,
  type Transport,
} from "@converge/sync";

const rules = { default: lww(), keys: { "stock:*": pncounter() } };
/** A value the other client writes, found in the damaged client's log by its bytes. */
export const MARKER = "marker-0123456789-abcdefghij-0123456789";

const settle = async (rounds = 30): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** What a healing run saw, for the adapter's test to check. */
export interface HealOutcome {
  readonly loadedDamage: ConvergeError | undefined;
  readonly errors: readonly string[];
  readonly corrupt: readonly string[];
  readonly resets: number;
  /** The client's state equals the host's, byte for byte, after healing. */
  readonly identical: boolean;
  /** What the host reads for each key the client wrote while offline (its unacknowledged ops). */
  readonly offlineWrites: ReadonlyMap<string, unknown>;
  readonly expectedOffline: ReadonlyMap<string, unknown>;
  /** The other client's marker, back on the healed client. */
  readonly marker: unknown;
  /** A write after healing reached the host. */
  readonly afterwards: unknown;
  /** The replica id changed (a rebuilt replica never reuses the old id's sequence numbers). */
  readonly newId: boolean;
}

/**
 * A host (memory store) and two clients; client C keeps its records in `open()`'s store. C syncs
 * the other client's marker into its log, then writes while the host is unreachable (committed
 * locally, unacknowledged), and closes. `damage()` corrupts C's records; C reopens with
 * `openHealing()` (an adapter with `onCorrupt`), rebuilds with `loadReplica` + `connect({loaded})`.
 */
export async function healScenario(
  open: () => Promise<{ store: Store; records: DocumentStore }>,
  damage: () => Promise<void>,
  openHealing: () => Promise<{ store: Store; records: DocumentStore }>,
): Promise<HealOutcome> {
  const host = createSyncHost({ documents: (n) => (n === "shop" ? { rules } : undefined) });
  let up = true;
  const links = new Set<Transport>();
  const dial = async (): Promise<Transport> => {
    if (!up) throw new Error("host unreachable");
    const [client, server] = memoryTransportPair();
    host.accept(server);
    links.add(client);
    return client;
  };
  const opts = { document: "shop", dial, backoff: { initialMs: 1, maxMs: 5 } };
  const a = createReplicatedMap({ resolvers: rules });
  const sa = connect(a, opts);

  const first = await open();
  const loaded = loadReplica(await first.records.load(), { resolvers: rules });
  const c1 = loaded.map;
  const s1 = connect(c1, { ...opts, store: first.records, loaded });
  a.set("note", MARKER);
  a.increment("stock:apple", 5);
  await sa.whenSynced();
  await s1.whenSynced();
  await s1.whenCommitted();
  // The host goes away; C writes offline (committed locally, never acknowledged).
  up = false;
  for (const t of links) t.close(1000, "host gone");
  await settle();
  const expectedOffline = new Map<string, unknown>([
    ["c:offline", "written offline"],
    ["stock:apple", 7],
  ]);
  c1.set("c:offline", "written offline");
  c1.increment("stock:apple", 2);
  await s1.whenCommitted();
  await s1.close();
  await first.store.close();

  await damage();

  up = true;
  const second = await openHealing();
  const stored = await second.records.load();
  const healed = loadReplica(stored, { resolvers: rules });
  const errors: string[] = [];
  const corrupt: string[] = [];
  let resets = 0;
  const c2: ReplicatedMap = healed.map;
  const s2: SyncSession = connect(c2, { ...opts, store: second.records, loaded: healed });
  s2.on("error", (e) => errors.push(e.code));
  s2.on("corrupt", (e) => corrupt.push(e.code));
  s2.on("reset", () => resets++);
  for (let i = 0; i < 200 && !(s2.status() === "synced" && resets > 0); i++) await settle(2);
  await sa.whenSynced();
  const doc = await host.document("shop");
  c2.set("c:after", "healed");
  await s2.whenSynced();
  await sa.whenSynced();
  await settle();
  const outcome: HealOutcome = {
    loadedDamage: healed.damaged,
    errors,
    corrupt,
    resets,
    identical: hex(c2.encodeState()) === hex(doc.encodeState()),
    offlineWrites: new Map([...expectedOffline.keys()].map((k) => [k, doc.get(k)])),
    expectedOffline,
    marker: c2.get("note"),
    afterwards: doc.get("c:after"),
    newId: c2.id !== c1.id,
  };
  await s2.close();
  await sa.close();
  await second.store.close();
  await host.close();
  return outcome;
}
