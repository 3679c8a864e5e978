import { createClock, Timestamp } from "@converge/hlc";
import { CausalContext } from "./causal-context.ts";
import { ChangeLog } from "./change-log.ts";
import { InvalidKeyError, InvalidValueError, PayloadKindError, UnsupportedOperationError } from "./errors.ts";
import { type AnyResolver, type KeyRules, toHex } from "./key-rules.ts";
import { ADD_CONCURRENT, GENERIC, KeyStore, NOT_PACKED, UNCHANGED } from "./key-store.ts";
import { LoneChange } from "./lone-change.ts";
import { encodePayload, PayloadDecoder, type PayloadEntry, type PayloadKind } from "./payload.ts";
import { readsNewest, Sibling } from "./register.ts";
import type {
  ApplyAsyncOptions,
  ApplyResult,
  Change,
  ChangeEvent,
  ReplicatedMap,
  ReplicatedMapOptions,
} from "./replicated-map-types.ts";
import type { Stamp } from "./resolver.ts";
import { ABSENT, makeSnapshot, SnapshotLink } from "./snapshot.ts";
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from "./state-codec.ts";
import {
  checkAmount,
  checkApplyAsyncOptions,
  checkListener,
  checkMapOptions,
  checkPayload,
  checkReadKey,
  checkVersionVector,
  checkVersionVectors,
} from "./validate-options.ts";
import type { ReplicaId } from "./version-vector.ts";

/** Placeholder for per-entry arrays an apply did not need. */
const EMPTY: unknown[] = [];

// What the fast lane of applySync does with an entry (see KeyStore.loneAction).
const NEW_LONE = 5;

interface Inflight {
  readonly decoder: PayloadDecoder;
  readonly pending: Map<string, number>;
  /** Keys a local write merged early (see settle) that changed. */
  settled: number;
}

const defaultYield = (): Promise<void> =>
  new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
    if (immediate !== undefined) immediate(resolve);
    else setTimeout(resolve, 0);
  });

/**
 * Creates one replica of a replicated map.
 *
 * @example
 * const shop = createReplicatedMap({
 *   resolvers: { default: lww(), keys: { "stock:*": pncounter(), "tags:*": multiValue() } },
 * });
 * shop.set("price:apple", 120);
 * shop.increment("stock:apple", 10);
 * peer.applyDelta(shop.encodeDelta(peer.versionVector()));
 */
export function createReplicatedMap(options: ReplicatedMapOptions): ReplicatedMap {
  const rules: KeyRules = checkMapOptions(options);
  /** Whether any resolver batch-reads (see {@link Resolver.prepare}): if none, applies skip that pass. */
  const anyPrepare = [...rules.resolvers.values()].some((r) => r.prepare !== undefined);
  const { resolverFor } = rules;
  const clock = options.clock ?? createClock(options.clockOptions);
  const id = clock.node;
  const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...options.limits };
  const store = new KeyStore();
  const context = new CausalContext();
  const log = new ChangeLog();
  const interned = new Map<ReplicaId, ReplicaId>([[id, id]]);
  const intern = (r: ReplicaId): ReplicaId => {
    const known = interned.get(r);
    if (known !== undefined) return known;
    interned.set(r, r);
    return r;
  };
  const listeners = new Set<(event: ChangeEvent) => void>();
  const opListeners = new Set<(op: Uint8Array) => void>();
  const inflight = new Set<Inflight>();
  let size = 0;
  let seq = 0;
  let newestLink: WeakRef<SnapshotLink> | undefined;
  let linkUsed = false;
  let rebuildLog = false;

  // Scratch for diffing versions on commit (avoids allocating per key).
  const scratch: (ReplicaId | number)[] = [];
  let scratchKey = "";
  const collectOld = (r: ReplicaId, s: number): void => {
    scratch.push(r, s);
  };
  // Both visits go in increasing replica order (a Resolver.versions law), so one forward pointer
  // pairs them up in linear time.
  let scratchPos = 0;
  const logNew = (r: ReplicaId, s: number): void => {
    while (scratchPos < scratch.length && (scratch[scratchPos] as ReplicaId) < r) scratchPos += 2;
    const old = scratch[scratchPos] === r ? (scratch[scratchPos + 1] as number) : 0;
    if (s > old) {
      log.record(r, s, scratchKey);
      if (old > 0 && log.superseded()) rebuildLog = true;
    }
  };

  // Logging the operations an apply brings (see commit's `incoming`).
  let incomingOld: unknown;
  let incomingResolver: AnyResolver | undefined;
  let held = "";
  let isHeld = false;
  const findHeld = (r: ReplicaId): void => {
    if (r === held) isHeld = true;
  };
  const logUnseen = (r: ReplicaId, s: number): void => {
    if (context.has(r, s)) return;
    log.record(r, s, scratchKey);
    // The key's previous state may hold an earlier operation of r, whose entry this one supersedes.
    if (incomingOld === undefined || !context.knows(r)) return;
    held = r;
    isHeld = false;
    incomingResolver?.versions(incomingOld, findHeld);
    if (isHeld && log.superseded()) rebuildLog = true;
  };

  const rebuild = (): void => {
    log.clear();
    for (const [key, slot] of store.slots()) {
      scratchKey = key;
      scratch.length = 0;
      scratchPos = 0;
      resolverFor(key).versions(store.stateAt(slot), logNew);
    }
    rebuildLog = false;
  };

  /**
   * Replaces the state of `key` (in `slot`, -1 when new; `next` undefined drops the entry),
   * keeping size, change log and snapshots right. Returns whether anything changed.
   *
   * `incoming`, for a merge an apply computed before merging the payload's context: the state it
   * merged in. Then only the operations of `incoming` this replica has not seen are logged — every
   * other operation in `next` was logged when it first arrived (a state's operations are always in
   * the context that came with it) — instead of diffing the old and new states' versions, which
   * costs the size of the state (16 replicas' counter records) for every key.
   */
  const commit = (
    key: string,
    slot: number,
    resolver: AnyResolver,
    old: unknown,
    next: unknown,
    incoming?: unknown,
  ): boolean => {
    if (next === old) return false;
    const link = newestLink?.deref();
    if (link !== undefined) {
      linkUsed = true;
      if (!link.saved.has(key)) link.saved.set(key, old === undefined ? ABSENT : old);
    }
    const was = old !== undefined && resolver.exists(old);
    const is = next !== undefined && resolver.exists(next);
    if (was !== is) size += is ? 1 : -1;
    if (next === undefined) {
      if (slot >= 0) store.delete(key, slot);
    } else {
      store.put(key, slot, next, resolver.prepare === undefined);
      scratchKey = key;
      if (incoming !== undefined) {
        incomingOld = old;
        incomingResolver = resolver;
        resolver.versions(incoming, logUnseen);
        incomingOld = undefined;
        incomingResolver = undefined;
        return true;
      }
      scratch.length = 0;
      scratchPos = 0;
      if (old !== undefined) resolver.versions(old, collectOld);
      resolver.versions(next, logNew);
    }
    return true;
  };

  // Errors thrown by listeners: collected so that an operation always completes (state, clock,
  // context, op broadcast, other listeners), then rethrown by `flush` at the end of it.
  const listenerErrors: unknown[] = [];
  const call = <T>(listener: (value: T) => void, value: T): void => {
    try {
      listener(value);
    } catch (e) {
      listenerErrors.push(e);
    }
  };
  const flush = (): void => {
    if (listenerErrors.length === 0) return;
    const errors = listenerErrors.splice(0);
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, "listeners threw");
  };

  const emit = (origin: "local" | "remote", changes: Change[]): void => {
    if (changes.length === 0) return;
    const event: ChangeEvent = Object.freeze({ origin, changes: Object.freeze(changes) });
    for (const l of [...listeners]) call(l, event);
  };

  /** What a state reads as, for change events; a resolver whose read throws reports undefined. */
  const readState = (key: string, state: unknown): unknown => {
    if (state === undefined) return undefined;
    try {
      return resolverFor(key).read(state);
    } catch {
      return undefined;
    }
  };

  /**
   * The part of an incoming state worth merging: the causal barrier behind compaction. Parts made
   * by operations this replica has seen but its own state for the key no longer holds were
   * collected by `compact` (this replica's, or a peer's whose state it took) after every replica
   * saw them overwritten or deleted, so a stale copy cannot bring them back (see
   * {@link Resolver.forget}). A no-op for states made only of operations not seen yet.
   */
  const seen = (r: ReplicaId, s: number): boolean => context.has(r, s);
  const admitState = (resolver: AnyResolver, incoming: unknown, old: unknown): unknown => {
    if (resolver.forget !== undefined) return resolver.forget(incoming, old, seen);
    return old === undefined && known(resolver, incoming) ? undefined : incoming;
  };

  /**
   * Merges `incoming` into `key` right away (an async apply's chunk, or a key it still holds that
   * a local write needs now); the change, if any, goes to `changes` when someone listens.
   */
  const mergeNow = (key: string, resolver: AnyResolver, incoming: unknown, changes: Change[]): boolean => {
    const slot = store.slotOf(key);
    const old = slot < 0 ? undefined : store.stateAt(slot);
    const inc = admitState(resolver, incoming, old);
    const next = inc === undefined ? old : old === undefined ? inc : resolver.merge(old, inc);
    const before = listeners.size > 0 ? readState(key, old) : undefined;
    const changed = commit(key, slot, resolver, old, next);
    if (changed && listeners.size > 0) changes.push({ key, value: readState(key, next), previous: before });
    return changed;
  };

  /**
   * Merges what in-flight async applies still hold for `key`, so a local write sees it: one
   * remote event before the write's own, counted in that apply's result.
   */
  const settle = (key: string): void => {
    for (const f of inflight) {
      const i = f.pending.get(key);
      if (i === undefined) continue;
      f.pending.delete(key);
      const changes: Change[] = [];
      if (mergeNow(key, f.decoder.resolverAt(i), f.decoder.stateAt(i), changes)) f.settled++;
      emit("remote", changes);
    }
  };

  const checkKey = (key: string): void => {
    if (typeof key !== "string") throw new InvalidKeyError(`key must be a string, got ${typeof key}`);
    if (!key.isWellFormed()) throw new InvalidKeyError("key contains a lone surrogate");
    if (key.length * 3 > limits.maxKeyBytes && new TextEncoder().encode(key).length > limits.maxKeyBytes) {
      throw new InvalidKeyError(`key longer than ${limits.maxKeyBytes} UTF-8 bytes`);
    }
  };

  /**
   * An open {@link ReplicatedMap.batch}: the keys it wrote (first previous value, for its event)
   * and its dots, sent as one op payload and one event when the batch ends.
   */
  let batch: { readonly keys: Map<string, unknown>; readonly dots: CausalContext } | undefined;

  /** Runs one local operation: stamp, compute, then commit (a throwing resolver consumes nothing). */
  const local = (key: string, op: (resolver: AnyResolver, old: unknown, stamp: Stamp) => unknown): void => {
    checkKey(key);
    const resolver = resolverFor(key);
    settle(key);
    const slot = store.slotOf(key);
    const old = slot < 0 ? undefined : store.stateAt(slot);
    const stamp: Stamp = { replica: id, seq: seq + 1, time: clock.tick() };
    const next = op(resolver, old, stamp);
    seq = stamp.seq;
    context.add(id, seq);
    commit(key, slot, resolver, old, next);
    if (batch !== undefined) {
      batch.dots.add(id, seq);
      if (!batch.keys.has(key)) batch.keys.set(key, listeners.size > 0 ? readState(key, old) : undefined);
      return;
    }
    if (opListeners.size > 0) {
      const dot = new CausalContext();
      dot.add(id, seq);
      const op = encodePayload("op", rules.fingerprint, dot, [{ key, resolver, state: next }]);
      for (const l of [...opListeners]) call(l, op);
    }
    if (listeners.size > 0)
      emit("local", [{ key, value: readState(key, next), previous: readState(key, old) }]);
    flush();
  };

  /** Ends the outermost batch: one op payload with every key it wrote, one local event. */
  const endBatch = (): void => {
    const open = batch;
    batch = undefined;
    if (open === undefined || open.keys.size === 0) return;
    if (opListeners.size > 0) {
      const op = encodePayload("op", rules.fingerprint, open.dots, sortedEntries(open.keys.keys(), false));
      for (const l of [...opListeners]) call(l, op);
    }
    if (listeners.size > 0) {
      const changes: Change[] = [];
      for (const [key, previous] of [...open.keys].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
        changes.push({ key, value: readState(key, store.get(key)), previous });
      emit("local", changes);
    }
    flush();
  };

  /** Checks everything that could refuse a decoded payload, changing nothing but the clock. */
  const admit = (decoder: PayloadDecoder, expected: PayloadKind | undefined): void => {
    if (expected !== undefined && decoder.kind !== expected) {
      throw new PayloadKindError(
        "WRONG_PAYLOAD_KIND",
        `expected a ${expected} payload, got a ${decoder.kind}`,
      );
    }
    if (decoder.kind === "delta") {
      // The delta leaves out everything up to `since`: this replica must have every one of those
      // operations (contiguously, or in its cloud), or it would never receive the missing ones.
      const lacks = (r: ReplicaId, s: number): boolean => {
        for (let k = context.get(r) + 1; k <= s; k++) if (!context.has(r, k)) return true;
        return false;
      };
      for (const [r, s] of decoder.since.entries()) {
        if (lacks(r, s)) {
          throw new PayloadKindError(
            "DELTA_UNKNOWN_BASE",
            `delta was computed since ${r}:${s}, but this replica has only seen ${r} up to ${context.get(r)}`,
          );
        }
      }
    }
    const max = decoder.maxTime();
    // Throws HLC_DRIFT (clock unchanged) when the payload's newest time is too far ahead.
    if (max.wall >= 0) clock.observe(new Timestamp(max.wall, max.counter, max.node));
  };

  /** True when every operation in an incoming key state is already known here. */
  const known = (resolver: AnyResolver, state: unknown): boolean => {
    let all = true;
    resolver.versions(state, (r, s) => {
      if (!context.has(r, s)) all = false;
    });
    return all;
  };

  /** An op payload whose operation this replica has already seen (dot in its vector or cloud). */
  const isDuplicateOp = (decoder: PayloadDecoder): boolean =>
    decoder.kind === "op" && context.covers(decoder.context);

  /**
   * The slots of the decoded keys (-1 for new ones): those the sorted walk of the decoder found,
   * the rest by hashing.
   */
  const slotsOf = (decoder: PayloadDecoder): Int32Array => {
    const { keys } = decoder;
    const slots = decoder.matchedSlots ?? new Int32Array(keys.length).fill(-2);
    for (let i = 0; i < keys.length; i++) if (slots[i] === -2) slots[i] = store.slotOf(keys[i] as string);
    return slots;
  };

  const applySync = (bytes: Uint8Array, expected: PayloadKind | undefined): ApplyResult => {
    const decoder = new PayloadDecoder(bytes, rules, limits, intern);
    // Walking the sorted store pays when the payload is large next to it; a small delta hashes.
    const matcher = decoder.total * 8 > store.size ? store.matcher() : undefined;
    decoder.next(Number.POSITIVE_INFINITY, matcher);
    matcher?.release();
    if (isDuplicateOp(decoder)) {
      if (expected !== undefined && decoder.kind !== expected) admit(decoder, expected);
      decoder.release();
      return { changed: 0, duplicate: true };
    }
    admit(decoder, expected);
    const { keys } = decoder;
    const n = keys.length;
    const slots = slotsOf(decoder);
    // The fast lane: a lone incoming value meeting nothing or a lone packed value is merged field
    // by field, with no state objects, when nothing needs the old and new states as objects.
    // Subscribers get lazily read changes from it (LoneChange); a live snapshot needs old states.
    const fast = newestLink?.deref() === undefined;
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
    const seenUpTo = new Float64Array(anyLone ? replicaTable.length : 0);
    const seenCloud = new Uint8Array(seenUpTo.length);
    for (let r = 0; r < seenUpTo.length; r++) {
      const replica = replicaTable[r] as ReplicaId;
      seenUpTo[r] = context.get(replica);
      seenCloud[r] = context.hasCloud(replica) ? 1 : 0;
    }
    // Compute every merged state first, then commit: nothing is half-applied if a merge throws.
    // Old and merged states of the entries that take the general path (allocated on the first).
    let olds: unknown[] = EMPTY;
    let merged: unknown[] = EMPTY;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      if (anyLone && loneSeq[i] !== 0) {
        const r = loneReplica[i] as number;
        const q = loneSeq[i] as number;
        // A value this replica has already seen but does not hold goes the general way, through
        // the causal barrier (admitState); one it holds is unchanged.
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
      const resolver = decoder.resolverAt(i);
      const inc = decoder.stateAt(i);
      const old = slot < 0 ? undefined : store.stateAt(slot);
      if (olds === EMPTY) {
        olds = new Array<unknown>(n);
        merged = new Array<unknown>(n);
      }
      olds[i] = old;
      const admitted = admitState(resolver, inc, old);
      merged[i] = admitted === undefined ? old : old === undefined ? admitted : resolver.merge(old, admitted);
    }
    const track = listeners.size > 0;
    const changes: Change[] = [];
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const action = actions[i] as number;
      if (action !== GENERIC) {
        if (action === UNCHANGED) continue;
        const replica = replicaTable[loneReplica[i] as number] as ReplicaId;
        const seq = loneSeq[i] as number;
        const wall = loneWall[i] as number;
        const counter = loneCounter[i] as number;
        const value = loneValue[i];
        const slot = slots[i] as number;
        if (track) {
          const old = slot < 0 ? undefined : (store.stateAt(slot) as Sibling);
          const incoming = new Sibling(replica, seq, wall, counter, value as Sibling["value"]);
          changes.push(new LoneChange(key, decoder.resolverAt(i), old, incoming, action === ADD_CONCURRENT));
        }
        if (action === ADD_CONCURRENT) store.addConcurrent(slot, replica, seq, wall, counter, value);
        else {
          if (action === NEW_LONE) size++;
          else if (log.superseded()) rebuildLog = true;
          store.putLone(key, slot, replica, seq, wall, counter, value);
        }
        log.record(replica, seq, key);
        changed++;
        continue;
      }
      const old = olds[i];
      if (commit(key, slots[i] as number, decoder.resolverAt(i), old, merged[i], decoder.stateAt(i))) {
        changed++;
        if (track) changes.push({ key, value: readState(key, merged[i]), previous: readState(key, old) });
      }
    }
    context.merge(decoder.context);
    if (rebuildLog) rebuild();
    if (anyPrepare) prepareReads((i) => decoder.resolverAt(i), merged, 0, n);
    decoder.release();
    emit("remote", changes);
    flush();
    return { changed, duplicate: false };
  };

  /** Lets resolvers with expensive reads (scripts) batch-read the states an apply produced. */
  const prepareReads = (
    resolverAt: (i: number) => AnyResolver,
    states: readonly unknown[],
    from: number,
    to: number,
  ): void => {
    let groups: Map<AnyResolver, unknown[]> | undefined;
    for (let i = from; i < to; i++) {
      const r = resolverAt(i);
      if (r.prepare === undefined) continue;
      groups ??= new Map();
      let list = groups.get(r);
      if (list === undefined) {
        list = [];
        groups.set(r, list);
      }
      if (states[i] !== undefined) list.push(states[i]);
    }
    if (groups === undefined) return;
    for (const [r, list] of groups) {
      try {
        r.prepare?.(list);
      } catch {
        // Only a read-ahead: states are read one by one later instead.
      }
    }
  };

  const applyAsync = async (bytes: Uint8Array, opts: ApplyAsyncOptions = {}): Promise<ApplyResult> => {
    const chunk = Math.max(1, opts.chunkSize ?? 4096);
    const pause = opts.yieldTo ?? defaultYield;
    const decoder = new PayloadDecoder(bytes, rules, limits, intern);
    do {
      decoder.next(chunk);
      if (!decoder.done) await pause("decode");
    } while (!decoder.done);
    if (isDuplicateOp(decoder)) return { changed: 0, duplicate: true };
    admit(decoder, undefined);
    const pending = new Map<string, number>();
    decoder.keys.forEach((k, i) => {
      pending.set(k, i);
    });
    const flight: Inflight = { decoder, pending, settled: 0 };
    inflight.add(flight);
    let changed = 0;
    try {
      const { keys } = decoder;
      for (let start = 0; start < keys.length; start += chunk) {
        // Before every chunk, the first included: from the first "merge" yield on, the payload
        // counts as applied (writes made then observe it), which a caller can see happen.
        await pause("merge");
        const end = Math.min(keys.length, start + chunk);
        const done: unknown[] = [];
        const doneResolvers: AnyResolver[] = [];
        const changes: Change[] = [];
        for (let i = start; i < end; i++) {
          const key = keys[i] as string;
          if (pending.get(key) !== i) continue; // settled early by a local write
          pending.delete(key);
          if (mergeNow(key, decoder.resolverAt(i), decoder.stateAt(i), changes)) {
            changed++;
            done.push(store.get(key));
            doneResolvers.push(decoder.resolverAt(i));
          }
        }
        prepareReads((k) => doneResolvers[k] as AnyResolver, done, 0, done.length);
        // One event per chunk, after the chunk's batch reads.
        emit("remote", changes);
      }
      context.merge(decoder.context);
      if (rebuildLog) rebuild();
    } finally {
      inflight.delete(flight);
      decoder.release();
    }
    flush();
    return { changed: changed + flight.settled, duplicate: false };
  };

  /** Payload entries for `keys`, sorted unless they already are. */
  const sortedEntries = (keys: Iterable<string>, sorted: boolean): PayloadEntry[] => {
    const list = [...keys];
    if (!sorted) list.sort();
    const out: PayloadEntry[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const key = list[i] as string;
      out[i] = { key, resolver: resolverFor(key), state: store.get(key) };
    }
    return out;
  };

  const map: ReplicatedMap = {
    id,
    clock,
    fingerprint: toHex(rules.fingerprint),
    get size() {
      return size;
    },
    get: <T>(key: string): T | undefined => {
      checkReadKey(key, "get");
      const slot = store.slotOf(key);
      if (slot < 0) return undefined;
      const resolver = resolverFor(key);
      if (readsNewest(resolver)) {
        const v = store.newestValue(slot);
        if (v !== NOT_PACKED) return v as T;
      }
      return resolver.read(store.stateAt(slot)) as T | undefined;
    },
    has: (key) => {
      checkReadKey(key, "has");
      const s = store.get(key);
      return s !== undefined && resolverFor(key).exists(s);
    },
    entries: function* () {
      for (const [key, slot] of store.sortedSlots()) {
        const r = resolverFor(key);
        if (readsNewest(r)) {
          const v = store.newestValue(slot);
          if (v !== NOT_PACKED) {
            yield [key, v];
            continue;
          }
        }
        const s = store.stateAt(slot);
        if (r.exists(s)) yield [key, r.read(s)];
      }
    },
    keys: function* () {
      for (const [key, slot] of store.sortedSlots())
        if (resolverFor(key).exists(store.stateAt(slot))) yield key;
    },
    set: (key, value) =>
      local(key, (resolver, old, stamp) => {
        if (resolver.set === undefined) {
          throw new UnsupportedOperationError(
            `key ${JSON.stringify(key)} uses ${resolver.id}, which has no set`,
          );
        }
        return resolver.set(old, value, stamp);
      }),
    increment: (key, amount = 1) => {
      checkAmount(amount, "increment");
      if (amount === 0) {
        // Adding 0 is no operation: nothing is stamped, sent or stored.
        checkKey(key);
        if (resolverFor(key).increment === undefined) {
          throw new UnsupportedOperationError(
            `key ${JSON.stringify(key)} uses ${resolverFor(key).id}, which has no increment`,
          );
        }
        return;
      }
      local(key, (resolver, old, stamp) => {
        if (resolver.increment === undefined) {
          throw new UnsupportedOperationError(
            `key ${JSON.stringify(key)} uses ${resolver.id}, which has no increment`,
          );
        }
        return resolver.increment(old, amount, stamp);
      });
    },
    decrement: (key, amount = 1) => {
      checkAmount(amount, "decrement");
      map.increment(key, -amount);
    },
    delete: (key) => {
      checkKey(key);
      settle(key);
      const old = store.get(key);
      const resolver = resolverFor(key);
      if (old === undefined || !resolver.exists(old)) return false;
      local(key, (r, o, stamp) => r.remove(o, stamp));
      return true;
    },
    conflicts: (key) => {
      checkReadKey(key, "conflicts");
      const s = store.get(key);
      return s === undefined ? [] : resolverFor(key).conflicts(s);
    },
    subscribe: (listener) => {
      listeners.add(checkListener(listener, "subscribe"));
      return () => {
        listeners.delete(listener);
      };
    },
    onOp: (listener) => {
      opListeners.add(checkListener(listener, "onOp"));
      return () => {
        opListeners.delete(listener);
      };
    },
    snapshot: () => {
      let link = newestLink?.deref();
      if (link === undefined || linkUsed) {
        const fresh = new SnapshotLink();
        if (link !== undefined) link.next = fresh;
        link = fresh;
        newestLink = new WeakRef(fresh);
        linkUsed = false;
      }
      return makeSnapshot(link, store, resolverFor, size, context.versionVector());
    },
    versionVector: () => context.versionVector(),
    encodeState: () => {
      // In key order from the store (its sort is cached until the key set changes), by slot.
      const entries: PayloadEntry[] = new Array(store.size);
      let n = 0;
      store.forEachSorted((key, slot) => {
        entries[n++] = { key, resolver: resolverFor(key), state: store.stateAt(slot) };
      });
      entries.length = n;
      return encodePayload("state", rules.fingerprint, context, entries);
    },
    encodeDelta: (since) => {
      checkVersionVector(since, "encodeDelta");
      const candidates = log.keysAfter(since);
      const keys: string[] = [];
      for (const key of candidates) {
        const s = store.get(key);
        if (s === undefined) continue;
        let newer = false;
        resolverFor(key).versions(s, (r, q) => {
          if (q > since.get(r)) newer = true;
        });
        if (newer) keys.push(key);
      }
      return encodePayload("delta", rules.fingerprint, context, sortedEntries(keys, false), since);
    },
    applyState: (bytes) => applySync(checkPayload(bytes, "applyState"), "state"),
    applyDelta: (bytes) => applySync(checkPayload(bytes, "applyDelta"), "delta"),
    applyOp: (bytes) => applySync(checkPayload(bytes, "applyOp"), "op"),
    apply: (bytes) => applySync(checkPayload(bytes, "apply"), undefined),
    payloadKeys: (bytes) => {
      const decoder = new PayloadDecoder(checkPayload(bytes, "payloadKeys"), rules, limits, intern);
      try {
        decoder.next(Number.POSITIVE_INFINITY);
        return Object.freeze(decoder.keys.slice());
      } finally {
        decoder.release();
      }
    },
    // async: a misuse rejects the returned promise, as a refused payload does.
    applyAsync: async (bytes, opts) =>
      applyAsync(checkPayload(bytes, "applyAsync"), checkApplyAsyncOptions(opts)),
    batch: <T>(work: () => T): T => {
      if (typeof work !== "function")
        throw new InvalidValueError(`batch takes a function, got ${typeof work}`);
      if (batch !== undefined) return work(); // nested: part of the outer batch
      batch = { keys: new Map(), dots: new CausalContext() };
      try {
        return work();
      } finally {
        endBatch();
      }
    },
    compact: (peers) => {
      checkVersionVectors(peers, "compact");
      let stable = context.versionVector();
      for (const p of peers) stable = stable.meet(p);
      let count = 0;
      for (const [key, slot] of [...store.slots()]) {
        const resolver = resolverFor(key);
        const s = store.stateAt(slot);
        const next = resolver.compact(s, stable);
        if (next !== s) {
          commit(key, slot, resolver, s, next);
          count++;
        }
      }
      if (count > 0) rebuild();
      return count;
    },
  };

  if (options.state !== undefined) {
    applySync(options.state, "state");
    // Continue after the highest own operation the state knows, contiguous or not.
    seq = context.highest(id);
  }
  return map;
}
