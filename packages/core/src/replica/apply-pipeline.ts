// ApplyPipeline: a blocking apply — decode, admit, plan every entry (lone lane or general), commit.
import { type Clock, Timestamp } from "@converge/hlc";
import type { CausalContext } from "../causal-context.ts";
import { PayloadKindError } from "../errors.ts";
import type { AnyResolver, KeyRules } from "../key-rules.ts";
import { PayloadDecoder } from "../payload/decode.ts";
import { type PayloadKind, SINGLE_WRITE_KIND } from "../payload/format.ts";
import { openPayload } from "../payload/header.ts";
import { readSingleWrite, singleWriteResolver } from "../payload/single-write.ts";
import type { KeyStore } from "../register/key-store.ts";
import { ADD_CONCURRENT, GENERIC, NEW_LONE, UNCHANGED } from "../register/lone-action.ts";
import { Sibling } from "../register/sibling.ts";
import { MAX_COLUMN_SEQ } from "../register/sibling-columns.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import type { ApplyResult, Change } from "../replicated-map-types.ts";
import type { DecodeLimits } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import type { Admission } from "./admission.ts";
import type { ChangeIndex } from "./change-index.ts";
import { ChangeList } from "./change-list.ts";
import type { Listeners } from "./listeners.ts";
import { prepareReads } from "./prepare-reads.ts";
import { readOrUndefined } from "./read-state.ts";
import type { ReplicaParts } from "./replica-parts.ts";
import type { SnapshotChain } from "./snapshot-chain.ts";
import type { StateCommitter } from "./state-committer.ts";

/** Placeholder for per-entry arrays an apply did not need. */
const EMPTY: unknown[] = [];
/** The changes of a single-write op nobody tracks (never filled: only tracked changes are pushed). */
const NO_CHANGES: Change[] = [];
/** The results of a single-write op (shared: results are read, never written). */
const CHANGED_ONE: ApplyResult = Object.freeze({ changed: 1, duplicate: false });
const CHANGED_NONE: ApplyResult = Object.freeze({ changed: 0, duplicate: false });
const DUPLICATE: ApplyResult = Object.freeze({ changed: 0, duplicate: true });

/**
 * Applies a whole payload at once. Every merged state is computed before anything is committed,
 * so nothing is half-applied if a merge throws. A lone incoming value meeting nothing or a lone
 * packed value takes the lone lane: planned by {@link KeyStore.loneAction} and committed field by
 * field, with no state objects, whenever no live snapshot needs the old states as objects.
 */
export class ApplyPipeline {
  readonly #rules: KeyRules;
  readonly #limits: DecodeLimits;
  readonly #intern: ReplicaInterner;
  readonly #anyPrepare: boolean;
  readonly #store: KeyStore;
  readonly #context: CausalContext;
  readonly #index: ChangeIndex;
  readonly #snapshots: SnapshotChain;
  readonly #committer: StateCommitter;
  readonly #listeners: Listeners;
  readonly #admission: Admission;
  readonly #resolverFor: (key: string) => AnyResolver;
  readonly #clock: Clock;

  constructor(parts: ReplicaParts) {
    this.#clock = parts.clock;
    this.#rules = parts.rules;
    this.#limits = parts.limits;
    this.#intern = parts.intern;
    this.#anyPrepare = parts.anyPrepare;
    this.#store = parts.store;
    this.#context = parts.context;
    this.#index = parts.index;
    this.#snapshots = parts.snapshots;
    this.#committer = parts.committer;
    this.#listeners = parts.listeners;
    this.#admission = parts.admission;
    this.#resolverFor = parts.resolverFor;
  }

  /** The keys `bytes` carries, in payload order, after every check an apply makes to decode it. */
  keysOf(bytes: Uint8Array): readonly string[] {
    const decoder = new PayloadDecoder(bytes, this.#rules, this.#limits, this.#intern);
    try {
      decoder.next(Number.POSITIVE_INFINITY);
      return Object.freeze(decoder.keys.slice());
    } finally {
      decoder.release();
    }
  }

  /** Applies `bytes` (of kind `expected`, or any kind when undefined). */
  run(bytes: Uint8Array, expected: PayloadKind | undefined): ApplyResult {
    if (bytes[3] === SINGLE_WRITE_KIND) return this.#single(bytes, expected);
    const store = this.#store;
    const admission = this.#admission;
    const decoder = new PayloadDecoder(bytes, this.#rules, this.#limits, this.#intern);
    // Walking the sorted store pays when the payload is large next to it; a small delta hashes.
    const matcher = decoder.total * 8 > store.size ? store.matcher() : undefined;
    decoder.next(Number.POSITIVE_INFINITY, matcher);
    matcher?.release();
    if (admission.isDuplicateOp(decoder)) {
      if (expected !== undefined && decoder.kind !== expected) admission.check(decoder, expected);
      decoder.release();
      return { changed: 0, duplicate: true };
    }
    admission.check(decoder, expected);
    const { keys } = decoder;
    const n = keys.length;
    const slots = this.#slotsOf(decoder);
    const fast = !this.#snapshots.live;
    const actions = new Uint8Array(n);
    const { replicaTable } = decoder;
    const {
      replica: loneReplica,
      seq: loneSeq,
      wall: loneWall,
      counter: loneCounter,
      value: loneValue,
    } = decoder.lone;
    const anyLone = fast && loneSeq.length > 0;
    // What this replica had seen of each replica in the payload's table, for the barrier check.
    const context = this.#context;
    const seenUpTo = new Float64Array(anyLone ? replicaTable.length : 0);
    const seenCloud = new Uint8Array(seenUpTo.length);
    for (let r = 0; r < seenUpTo.length; r++) {
      const replica = replicaTable[r] as ReplicaId;
      seenUpTo[r] = context.get(replica);
      seenCloud[r] = context.hasCloud(replica) ? 1 : 0;
    }
    const seen = admission.seen;
    // Plan: the lone lane's action per entry; the general path's old and merged states
    // (allocated on the first entry that takes it).
    let olds: unknown[] = EMPTY;
    let merged: unknown[] = EMPTY;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      if (anyLone && loneSeq[i] !== 0) {
        const r = loneReplica[i] as number;
        const q = loneSeq[i] as number;
        // A value this replica has already seen but does not hold goes the general way, through
        // the causal barrier (Admission.admitState); one it holds is unchanged.
        const wasSeen =
          q <= (seenUpTo[r] as number) || (seenCloud[r] === 1 && seen(replicaTable[r] as ReplicaId, q));
        if (slot < 0) {
          if (!wasSeen) {
            actions[i] = NEW_LONE;
            continue;
          }
        } else {
          const action = store.loneAction(slot, replicaTable[r] as ReplicaId, q);
          if (action === UNCHANGED || (action !== GENERIC && !wasSeen)) {
            actions[i] = action;
            continue;
          }
        }
      }
      const old = slot < 0 ? undefined : store.stateAt(slot);
      if (olds === EMPTY) {
        olds = new Array<unknown>(n);
        merged = new Array<unknown>(n);
      }
      olds[i] = old;
      merged[i] = admission.merged(decoder.resolverAt(i), decoder.stateAt(i), old);
    }
    // Commit. A subscriber's changes are recorded in columns (see ChangeList), not as objects.
    const committer = this.#committer;
    const resolverFor = this.#resolverFor;
    const list = this.#listeners.tracking ? new ChangeList(decoder, store) : undefined;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const action = actions[i] as number;
      if (action !== GENERIC) {
        if (action === UNCHANGED) continue;
        const slot = slots[i] as number;
        if (list !== undefined) list.lone(i, action, slot);
        committer.commitLone(
          key,
          slot,
          action,
          replicaTable[loneReplica[i] as number] as ReplicaId,
          loneSeq[i] as number,
          loneWall[i] as number,
          loneCounter[i] as number,
          loneValue[i],
        );
        changed++;
        continue;
      }
      const old = olds[i];
      if (
        committer.commit(key, slots[i] as number, decoder.resolverAt(i), old, merged[i], decoder.stateAt(i))
      ) {
        changed++;
        if (list !== undefined) {
          const resolver = resolverFor(key);
          list.general(i, {
            key,
            value: readOrUndefined(resolver, merged[i]),
            previous: readOrUndefined(resolver, old),
          });
        }
      }
    }
    // Nothing new: no key changed and every operation it carries was seen here.
    const duplicate = changed === 0 && context.covers(decoder.context);
    context.merge(decoder.context);
    this.#index.rebuildIfDue(store, resolverFor);
    if (this.#anyPrepare) prepareReads((i) => decoder.resolverAt(i), merged, 0, n);
    decoder.release();
    if (list !== undefined)
      this.#listeners.emitLazy(
        "remote",
        list.count,
        () => list.changes(),
        () => list.keys(),
      );
    this.#listeners.flush();
    return { changed, duplicate };
  }

  /**
   * Applies a single-write op (kind 4) without a payload decoder: the same checks in the same
   * order as {@link ApplyPipeline.run} (frame and checksum, fields, duplicate, kind, drift), then
   * the one entry by the lone lane or the general merge.
   */
  #single(bytes: Uint8Array, expected: PayloadKind | undefined): ApplyResult {
    const frame = openPayload(bytes, this.#limits, this.#rules.fingerprint);
    const w = readSingleWrite(bytes, frame, this.#limits, this.#intern);
    const { key, replica, seq, wall, counter, value } = w;
    const resolver = singleWriteResolver(this.#rules, key);
    const context = this.#context;
    const wrongKind = expected !== undefined && expected !== "op";
    if (!wrongKind && context.has(replica, seq)) return DUPLICATE;
    if (wrongKind)
      throw new PayloadKindError("WRONG_PAYLOAD_KIND", `expected a ${expected} payload, got a op`);
    // Throws HLC_DRIFT (clock unchanged) when the write's time is too far ahead.
    this.#clock.observe(new Timestamp(wall, counter, replica));
    const store = this.#store;
    const slot = store.slotOf(key);
    const track = this.#listeners.tracking;
    const changes: Change[] = track ? [] : NO_CHANGES;
    let changed = 0;
    // Not seen here (else a duplicate): the lone lane needs no causal barrier. Its columns hold
    // 32-bit seqs: a longer one goes the general way.
    const action =
      this.#snapshots.live || resolver.prepare !== undefined || seq > MAX_COLUMN_SEQ
        ? GENERIC
        : slot < 0
          ? NEW_LONE
          : store.loneAction(slot, replica, seq);
    if (action !== GENERIC) {
      if (action !== UNCHANGED) {
        if (track) {
          const old = slot < 0 ? undefined : (store.stateAt(slot) as Sibling);
          const incoming = new Sibling(replica, seq, wall, counter, value);
          const next = action === ADD_CONCURRENT ? resolver.merge(old, incoming) : incoming;
          changes.push({
            key,
            value: readOrUndefined(resolver, next),
            previous: readOrUndefined(resolver, old),
          });
        }
        this.#committer.commitLone(key, slot, action, replica, seq, wall, counter, value);
        changed = 1;
      }
      context.add(replica, seq);
      this.#index.rebuildIfDue(store, this.#resolverFor);
    } else {
      const incoming = new Sibling(replica, seq, wall, counter, value);
      const old = slot < 0 ? undefined : store.stateAt(slot);
      const merged = this.#admission.merged(resolver, incoming, old);
      if (this.#committer.commit(key, slot, resolver, old, merged, incoming)) {
        changed = 1;
        if (track)
          changes.push({
            key,
            value: readOrUndefined(resolver, merged),
            previous: readOrUndefined(resolver, old),
          });
      }
      context.add(replica, seq);
      this.#index.rebuildIfDue(store, this.#resolverFor);
      if (this.#anyPrepare) prepareReads(() => resolver, [merged], 0, 1);
    }
    this.#listeners.emit("remote", changes);
    this.#listeners.flush();
    return changed === 1 ? CHANGED_ONE : CHANGED_NONE;
  }

  /**
   * The slots of the decoded keys (-1 for new ones): those the sorted walk of the decoder found,
   * the rest by hashing.
   */
  #slotsOf(decoder: PayloadDecoder): Int32Array {
    const { keys } = decoder;
    const store = this.#store;
    const slots = decoder.matchedSlots ?? new Int32Array(keys.length).fill(-2);
    for (let i = 0; i < keys.length; i++) if (slots[i] === -2) slots[i] = store.slotOf(keys[i] as string);
    return slots;
  }
}
