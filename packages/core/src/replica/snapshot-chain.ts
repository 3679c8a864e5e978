// SnapshotChain: the replica's live snapshots, which get a key's old state before its first later write.
import type { AnyResolver } from "../key-rules.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ABSENT, makeSnapshot, type Snapshot, SnapshotLink } from "../snapshot.ts";
import type { VersionVector } from "../version-vector.ts";

/**
 * The newest link of the copy-on-write snapshot chain, held weakly: once no snapshot is reachable
 * the chain costs nothing, and the apply's lone lane (which has no old state objects) may run.
 */
export class SnapshotChain {
  #newest: WeakRef<SnapshotLink> | undefined;
  /** Whether a write saved a state into the newest link since it was made (then the next snapshot needs a new link). */
  #used = false;

  /** Whether a snapshot is still reachable (writes must then save the states they replace). */
  get live(): boolean {
    return this.#newest?.deref() !== undefined;
  }

  /** Saves `old` (undefined: absent) as `key`'s state in the newest live snapshot, unless saved already. */
  save(key: string, old: unknown): void {
    const link = this.#newest?.deref();
    if (link === undefined) return;
    this.#used = true;
    if (!link.saved.has(key)) link.saved.set(key, old === undefined ? ABSENT : old);
  }

  /** A snapshot of the current state: O(1), sharing the newest link while no write used it. */
  take(
    store: KeyStore,
    resolverFor: (key: string) => AnyResolver,
    size: number,
    versionVector: VersionVector,
  ): Snapshot {
    let link = this.#newest?.deref();
    if (link === undefined || this.#used) {
      const fresh = new SnapshotLink();
      if (link !== undefined) link.next = fresh;
      link = fresh;
      this.#newest = new WeakRef(fresh);
      this.#used = false;
    }
    return makeSnapshot(link, store, resolverFor, size, versionVector);
  }
}
