import { createReplicatedMap, type KeyRulesConfig, type ReplicatedMap } from "@converge/core";
import { type DocumentStore, loadReplica, type Store } from "@converge/sync";

/**
 * Opens this page's own records and takes over those of pages that are gone.
 *
 * Every page load is a new replica with a new id and its own stored document (`shop/<uuid>`,
 * locked for the page's life with a Web Lock): one writer per stored document, and no sequence
 * number of an earlier life is ever reused, whatever that life managed to commit. At start the
 * page looks at every other stored document whose lock is free — a tab that was closed or
 * reloaded, even in the middle of a write — merges its state (everything it committed, sent or
 * not) into its own replica, commits that to its own records, and only then empties the old
 * records. The merged state travels to the server in the next catch-up delta, so nothing a closed
 * tab committed is lost.
 */
export async function adoptRecords(
  store: Store,
  rules: KeyRulesConfig,
): Promise<{ readonly map: ReplicatedMap; readonly doc: DocumentStore }> {
  const id = crypto.randomUUID();
  const locks = navigator.locks;
  await new Promise<void>((held) => {
    void locks.request(`converge-doc:${id}`, () => {
      held();
      return new Promise<never>(() => {}); // released with the page
    });
  });
  const doc = await store.open(`shop/${id}`);
  const map = createReplicatedMap({ resolvers: rules });
  const empty = createReplicatedMap({ resolvers: rules }).encodeState();
  for (const name of await store.documents()) {
    if (!name.startsWith("shop/") || name === `shop/${id}`) continue;
    await locks.request(`converge-doc:${name.slice(5)}`, { ifAvailable: true }, async (lock) => {
      if (lock === null) return; // its page is alive
      const orphan = await store.open(name);
      const { map: old } = loadReplica(await orphan.load(), { resolvers: rules });
      if (old.versionVector().size === 0) return;
      const state = old.encodeState();
      map.applyState(state);
      await doc.commit({ append: [state] });
      await orphan.commit({ snapshot: empty, outboxAckedUpTo: Number.MAX_SAFE_INTEGER });
    });
  }
  return { map, doc };
}
