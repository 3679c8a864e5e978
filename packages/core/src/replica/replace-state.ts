// replaceState: the replica's whole state becomes what an empty replica reads after some payloads.
import { CausalContext } from "../causal-context.ts";
import type { AnyResolver } from "../key-rules.ts";
import { KeyStore } from "../register/key-store.ts";
import type { ApplyResult, Change } from "../replicated-map-types.ts";
import { StateWriter } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import { Admission } from "./admission.ts";
import { ApplyPipeline } from "./apply-pipeline.ts";
import { ChangeIndex } from "./change-index.ts";
import { Listeners } from "./listeners.ts";
import { readOrUndefined } from "./read-state.ts";
import type { ReplicaParts } from "./replica-parts.ts";
import { SnapshotChain } from "./snapshot-chain.ts";
import { StateCommitter } from "./state-committer.ts";

/** Replica numbering shared by every comparison of one replacement. */
interface Numbering {
  readonly index: Map<ReplicaId, number>;
  readonly table: ReplicaId[];
}

/** Whether two states of one key encode to the same bytes (under one replica numbering). */
function sameState(resolver: AnyResolver, a: unknown, b: unknown, { index, table }: Numbering): boolean {
  const wa = new StateWriter(index, table, 64);
  resolver.encode(a, wa);
  const wb = new StateWriter(index, table, 64);
  resolver.encode(b, wb);
  const x = wa.finish();
  const y = wb.finish();
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Replaces the state of the replica made of `parts` with what a fresh replica (same rules, limits
 * and clock) holds after applying `payload`, then each of `then`, in order. Everything is decoded,
 * checked and merged in scratch parts first, so a refused payload throws and changes nothing (but
 * the clock, which may have observed the payloads' times). Then keys whose bytes differ are
 * committed through the replica's own committer (snapshots taken before keep reading the old
 * state), the causal context is replaced, the change index rebuilt, and one remote change event
 * lists the keys whose state changed. Returns the next own sequence number to use.
 */
export function replaceState(
  parts: ReplicaParts,
  payload: Uint8Array,
  then: readonly Uint8Array[],
  seq: number,
): { readonly result: ApplyResult; readonly seq: number } {
  const store = new KeyStore();
  const context = new CausalContext();
  const index = new ChangeIndex(context);
  const snapshots = new SnapshotChain();
  const scratch: ReplicaParts = {
    ...parts,
    store,
    context,
    index,
    snapshots,
    committer: new StateCommitter(store, index, snapshots),
    listeners: new Listeners(),
    admission: new Admission(context, parts.clock),
  };
  const pipeline = new ApplyPipeline(scratch);
  pipeline.run(payload, undefined);
  for (const p of then) pipeline.run(p, undefined);

  const live = parts.store;
  const { committer, resolverFor, listeners } = parts;
  const track = listeners.tracking;
  const changes: Change[] = [];
  let changed = 0;
  const numbering: Numbering = { index: new Map(), table: [] };
  const gone: [string, number][] = [];
  for (const [key, slot] of live.slots()) if (store.slotOf(key) < 0) gone.push([key, slot]);
  for (const [key, slot] of gone) {
    const resolver = resolverFor(key);
    const old = live.stateAt(slot);
    committer.commit(key, slot, resolver, old, undefined);
    changed++;
    if (track) changes.push({ key, value: undefined, previous: readOrUndefined(resolver, old) });
  }
  store.forEachSorted((key, at) => {
    const resolver = resolverFor(key);
    const next = store.stateAt(at);
    const slot = live.slotOf(key);
    const old = slot < 0 ? undefined : live.stateAt(slot);
    if (old !== undefined && sameState(resolver, old, next, numbering)) return;
    committer.commit(key, slot, resolver, old, next);
    changed++;
    if (track)
      changes.push({ key, value: readOrUndefined(resolver, next), previous: readOrUndefined(resolver, old) });
  });
  parts.context.replace(context);
  parts.index.rebuild(live, resolverFor);
  listeners.emit("remote", changes);
  listeners.flush();
  return { result: { changed, duplicate: false }, seq: Math.max(seq, parts.context.highest(parts.id)) };
}
