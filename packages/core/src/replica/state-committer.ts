// StateCommitter: writes a key's new state to the store, keeping size, change index and snapshots right.
import type { AnyResolver } from "../key-rules.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ADD_CONCURRENT, NEW_LONE } from "../register/lone-action.ts";
import type { ReplicaId } from "../version-vector.ts";
import type { ChangeIndex } from "./change-index.ts";
import type { SnapshotChain } from "./snapshot-chain.ts";

/** The one place where states enter the store: every write of every path goes through here. */
export class StateCommitter {
  /** Number of present keys. */
  size = 0;
  readonly #store: KeyStore;
  readonly #index: ChangeIndex;
  readonly #snapshots: SnapshotChain;

  constructor(store: KeyStore, index: ChangeIndex, snapshots: SnapshotChain) {
    this.#store = store;
    this.#index = index;
    this.#snapshots = snapshots;
  }

  /**
   * Replaces the state of `key` (in `slot`, -1 when new; `next` undefined drops the entry).
   * Returns whether anything changed.
   *
   * `incoming`, for a merge an apply computed before merging the payload's context: the state it
   * merged in. Then only the operations of `incoming` this replica has not seen are indexed (see
   * {@link ChangeIndex.recordUnseen}) instead of diffing the old and new states' versions.
   */
  commit(
    key: string,
    slot: number,
    resolver: AnyResolver,
    old: unknown,
    next: unknown,
    incoming?: unknown,
  ): boolean {
    if (next === old) return false;
    this.#snapshots.save(key, old);
    const was = old !== undefined && resolver.exists(old);
    const is = next !== undefined && resolver.exists(next);
    if (was !== is) this.size += is ? 1 : -1;
    if (next === undefined) {
      if (slot >= 0) this.#store.delete(key, slot);
      return true;
    }
    const s = this.#store.put(key, slot, next, resolver.prepare === undefined);
    if (incoming !== undefined) this.#index.recordUnseen(s, resolver, old, incoming);
    else this.#index.recordDiff(s, resolver, old, next);
    return true;
  }

  /**
   * Commits a lone incoming value field by field (the apply's lone lane; no live snapshot, so
   * nothing to save): `action` is what the lane planned — NEW_LONE, REPLACE_LONE or ADD_CONCURRENT.
   */
  commitLone(
    key: string,
    slot: number,
    action: number,
    replica: ReplicaId,
    seq: number,
    wall: number,
    counter: number,
    value: unknown,
  ): void {
    const store = this.#store;
    if (action === ADD_CONCURRENT) {
      store.addConcurrent(slot, replica, seq, wall, counter, value);
      this.#index.recordLone(replica, seq, slot, false);
      return;
    }
    if (action === NEW_LONE) this.size++;
    const s = store.putLone(key, slot, replica, seq, wall, counter, value);
    this.#index.recordLone(replica, seq, s, action !== NEW_LONE);
  }
}
