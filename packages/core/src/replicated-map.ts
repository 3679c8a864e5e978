// createReplicatedMap: one replica, a short factory over the collaborators in replica/.
import { createClock } from "@converge/hlc";
import { CausalContext } from "./causal-context.ts";
import { type KeyRules, toHex } from "./key-rules.ts";
import { KeyStore } from "./register/key-store.ts";
import { Admission } from "./replica/admission.ts";
import { ApplyPipeline } from "./replica/apply-pipeline.ts";
import { AsyncApply } from "./replica/async-apply.ts";
import { ChangeIndex } from "./replica/change-index.ts";
import { compact } from "./replica/compaction.ts";
import { Encoding } from "./replica/encoding.ts";
import { Listeners } from "./replica/listeners.ts";
import { LocalOps } from "./replica/local-ops.ts";
import { Reads } from "./replica/reads.ts";
import { replaceState } from "./replica/replace-state.ts";
import type { ReplicaParts } from "./replica/replica-parts.ts";
import { SnapshotChain } from "./replica/snapshot-chain.ts";
import { StateCommitter } from "./replica/state-committer.ts";
import { replicaInterner } from "./replica-interner.ts";
import type { ReplicatedMap, ReplicatedMapOptions } from "./replicated-map-types.ts";
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from "./state-codec.ts";
import {
  checkAmount,
  checkApplyAsyncOptions,
  checkMapOptions,
  checkPayload,
  checkReadKey,
  checkVersionVector,
  checkVersionVectors,
} from "./validate-options.ts";

/** Each map's committer, for the shared `size` getter. */
const committers = new WeakMap<object, StateCommitter>();

/**
 * The prototype of every map: `size` as one getter shared by all maps. A getter of its own (in the
 * object literal, or defined on each map) puts every map in dictionary mode: 1.6 KB of properties
 * per map against ~0.3 KB, which a server hosting many small documents pays per document.
 */
const facade = {
  get size(): number {
    return (committers.get(this) as StateCommitter).size;
  },
};

/** Creates the parts of a replica (see replica/replica-parts.ts), each once. */
function replicaParts(options: ReplicatedMapOptions, rules: KeyRules): ReplicaParts {
  const clock = options.clock ?? createClock(options.clockOptions);
  const limits: DecodeLimits =
    options.limits === undefined ? DEFAULT_DECODE_LIMITS : { ...DEFAULT_DECODE_LIMITS, ...options.limits };
  const store = new KeyStore();
  const context = new CausalContext();
  const index = new ChangeIndex(context);
  const snapshots = new SnapshotChain();
  return {
    id: clock.node,
    clock,
    rules,
    resolverFor: rules.resolverFor,
    limits,
    anyPrepare: [...rules.resolvers.values()].some((r) => r.prepare !== undefined),
    intern: replicaInterner(),
    store,
    context,
    index,
    snapshots,
    committer: new StateCommitter(store, index, snapshots),
    listeners: new Listeners(),
    admission: new Admission(context, clock),
  };
}

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
  const rules = checkMapOptions(options);
  const parts = replicaParts(options, rules);
  const { id, clock, store, context, committer, listeners, snapshots, resolverFor } = parts;
  const pipeline = new ApplyPipeline(parts);
  const async = new AsyncApply(parts);
  const encoding = new Encoding(parts);
  const local = new LocalOps(parts, async, encoding);
  const reads = new Reads(store, resolverFor);

  const methods: Omit<ReplicatedMap, "size"> = {
    id,
    clock,
    fingerprint: toHex(rules.fingerprint),
    get: <T>(key: string): T | undefined => {
      checkReadKey(key, "get");
      return reads.get(key) as T | undefined;
    },
    has: (key) => {
      checkReadKey(key, "has");
      return reads.has(key);
    },
    entries: () => reads.entries(),
    keys: () => reads.keys(),
    set: (key, value) => local.set(key, value),
    increment: (key, amount = 1) => {
      checkAmount(amount, "increment");
      local.increment(key, amount);
    },
    decrement: (key, amount = 1) => {
      checkAmount(amount, "decrement");
      methods.increment(key, -amount);
    },
    delete: (key) => local.remove(key),
    conflicts: (key) => {
      checkReadKey(key, "conflicts");
      return reads.conflicts(key);
    },
    subscribe: (listener) => listeners.subscribe(listener),
    onOp: (listener) => listeners.onOp(listener),
    snapshot: () => snapshots.take(store, resolverFor, committer.size, context.versionVector()),
    versionVector: () => context.versionVector(),
    seqOf: (replica) => context.get(replica),
    encodeState: () => encoding.state(),
    encodeDelta: (since) => {
      checkVersionVector(since, "encodeDelta");
      return encoding.delta(since);
    },
    applyState: (bytes) => pipeline.run(checkPayload(bytes, "applyState"), "state"),
    applyDelta: (bytes) => pipeline.run(checkPayload(bytes, "applyDelta"), "delta"),
    applyOp: (bytes) => pipeline.run(checkPayload(bytes, "applyOp"), "op"),
    apply: (bytes) => pipeline.run(checkPayload(bytes, "apply"), undefined),
    payloadKeys: (bytes) => pipeline.keysOf(checkPayload(bytes, "payloadKeys")),
    // async: a misuse rejects the returned promise, as a refused payload does.
    applyAsync: async (bytes, opts) =>
      async.run(checkPayload(bytes, "applyAsync"), checkApplyAsyncOptions(opts)),
    batch: (work) => local.batch(work),
    compact: (peers) => {
      checkVersionVectors(peers, "compact");
      return compact(parts, peers);
    },
    replaceState: (payload, then = []) => {
      checkPayload(payload, "replaceState");
      if (!Array.isArray(then)) checkPayload(then, "replaceState");
      for (const p of then) checkPayload(p, "replaceState");
      const done = replaceState(parts, payload, then, local.seq);
      local.seq = done.seq;
      return done.result;
    },
  };
  // The shared `size` getter comes with the prototype, set before anyone holds the map.
  const map = Object.setPrototypeOf(methods, facade) as ReplicatedMap;
  committers.set(map, committer);

  if (options.state !== undefined) {
    pipeline.run(options.state, "state");
    // Continue after the highest own operation the state knows, contiguous or not.
    local.seq = context.highest(id);
  }
  return map;
}
