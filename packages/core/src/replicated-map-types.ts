import type { Clock, ClockOptions } from "@converge/hlc";
import type { KeyRulesConfig } from "./key-rules.ts";
import type { Concurrent } from "./resolver.ts";
import type { Snapshot } from "./snapshot.ts";
import type { DecodeLimits } from "./state-codec.ts";
import type { ReplicaId, VersionVector } from "./version-vector.ts";

/** Options of {@link createReplicatedMap}. */
export interface ReplicatedMapOptions {
  /** Which resolver governs which keys. Every replica of a map must use the same rules. */
  readonly resolvers: KeyRulesConfig;
  /** The replica's clock; its node id is the replica id. Default: a new clock from `clockOptions`. */
  readonly clock?: Clock;
  /** Options for the default clock (node id, time source, drift limit). */
  readonly clockOptions?: ClockOptions;
  /**
   * Decode limits for incoming payloads. `maxStringBytes` also bounds the strings and byte arrays
   * of a local `set` (refused with `INVALID_VALUE`), so nothing is written that the limits refuse.
   */
  readonly limits?: Partial<DecodeLimits>;
  /** A full state (from `encodeState`) to start from, e.g. this replica's own state before a restart. */
  readonly state?: Uint8Array;
}

/**
 * One key's change, a plain object: what the key read just after (`value`) and just before
 * (`previous`) the operation or apply; `undefined` when the key is absent after/before.
 */
export interface Change {
  readonly key: string;
  readonly value: unknown;
  readonly previous: unknown;
}

/** What a listener receives: the changes of one operation, one apply, or one chunk of an async apply. */
export interface ChangeEvent {
  /** `local` for this replica's own operations, `remote` for merged payloads. */
  readonly origin: "local" | "remote";
  /**
   * Every key whose state changed, once each (an apply's in ascending key order), frozen. For a
   * blocking apply the array is built when first read, from what the apply recorded, so it holds
   * the same changes whenever it is read.
   */
  readonly changes: readonly Change[];
  /**
   * The keys of {@link ChangeEvent.changes}, in the same order, frozen: for a listener that only
   * needs to know which keys changed (to render them again, to collect them), with no object per
   * change. Built on first read, like `changes`, and shared by every listener; reading one never
   * builds the other.
   */
  readonly keys: readonly string[];
}

/** Options of the chunked, non-blocking apply. */
export interface ApplyAsyncOptions {
  /** Entries decoded or merged between two yields to the event loop; default 4096. */
  readonly chunkSize?: number;
  /**
   * How to yield; default `setImmediate` where it exists, else `setTimeout(0)`. Called with the
   * phase it interrupts: `"decode"` (nothing applied yet; the payload can still be refused) or
   * `"merge"` (the payload was admitted and is being merged; called before each chunk, the first
   * included, so a caller sees the moment from which the payload counts as applied).
   */
  readonly yieldTo?: (phase: "decode" | "merge") => Promise<void>;
}

/** What an apply did. */
export interface ApplyResult {
  /** Keys whose state changed. */
  readonly changed: number;
  /**
   * True when the payload brought nothing new: no key changed and every operation it carries had
   * been seen here (an op applied before, a state or delta this replica already covers). A
   * replicator need not store or relay it.
   */
  readonly duplicate: boolean;
}

/**
 * One replica of a replicated map: string keys to values, each key governed by the resolver its
 * key rules pick.
 *
 * Guarantees:
 * - Convergence: replicas that have received the same set of operations — in any order, with
 *   duplicates, through any mix of full states, deltas and ops — read the same values and
 *   produce byte-identical `encodeState()`.
 * - All-or-nothing applies: a payload that is malformed, truncated, oversized, of an unknown
 *   format version or resolver, from a differently configured replica, based on a version this
 *   replica lacks, or carrying an HLC time too far in the future raises a typed error and leaves
 *   the replica exactly as it was.
 * - Local operations are stamped with the next sequence number of this replica and an HLC time;
 *   remote HLC times advance the clock only after they passed its drift check.
 */
export interface ReplicatedMap {
  /** This replica's id (its clock's node id). */
  readonly id: ReplicaId;
  readonly clock: Clock;
  /**
   * The key rules' fingerprint, 16 lowercase hex digits: equal for replicas configured with the
   * same rules (same patterns, resolver ids, versions and options), different otherwise. Every
   * payload carries it; a sync handshake compares it before any state moves.
   */
  readonly fingerprint: string;
  /** Number of present keys. */
  readonly size: number;
  /** The value of `key` as its resolver reads it; `undefined` when absent. Unchecked cast to `T`. */
  readonly get: <T = unknown>(key: string) => T | undefined;
  readonly has: (key: string) => boolean;
  /**
   * Present keys and values in ascending key order (UTF-16 code units, as `Array.prototype.sort`
   * orders strings): replicas holding the same keys iterate alike.
   */
  readonly entries: () => IterableIterator<[string, unknown]>;
  /** Present keys, in the order of {@link ReplicatedMap.entries}. */
  readonly keys: () => IterableIterator<string>;
  /** Writes `value` (registers). @throws UnsupportedOperationError for counters. */
  readonly set: (key: string, value: unknown) => void;
  /** Adds `amount` (default 1; a safe integer; 0 does nothing) to a counter. */
  readonly increment: (key: string, amount?: number) => void;
  /** Subtracts `amount` (default 1) from a PN-counter. */
  readonly decrement: (key: string, amount?: number) => void;
  /** Observed-remove delete; returns whether the key was present. */
  readonly delete: (key: string) => boolean;
  /** Every concurrent value of `key` with its clock (contributions, for counters). */
  readonly conflicts: (key: string) => readonly Concurrent<unknown>[];
  /**
   * Listens to changes; returns the unsubscribe function. A listener that throws does not
   * interrupt the operation (state, op broadcast and the other listeners all complete); its error
   * is rethrown by the operation once it is done.
   */
  readonly subscribe: (listener: (event: ChangeEvent) => void) => () => void;
  /**
   * Listens to this replica's own operations as encoded op payloads (the op path): one payload
   * per operation, or one per {@link ReplicatedMap.batch}.
   */
  readonly onOp: (listener: (op: Uint8Array) => void) => () => void;
  /**
   * Runs `work`, whose local operations are sent as one op payload (every key they wrote, in its
   * final state, with their dots) and reported as one local event when it returns or throws.
   * Each operation takes effect at once, as outside a batch; what `work` wrote before throwing
   * stays written and is sent. A batch inside a batch joins it. Returns what `work` returns.
   *
   * @example
   * map.batch(() => { map.set("price:apple", 120); map.increment("stock:apple", 5); });
   */
  readonly batch: <T>(work: () => T) => T;
  /** An immutable view of the current state: O(1) to take, O(1) per key later written. */
  readonly snapshot: () => Snapshot;
  /**
   * What this replica has seen: every operation 1..n of each replica. Immutable; the same object
   * until the replica sees something new (so comparing by identity is a cheap "nothing new").
   */
  readonly versionVector: () => VersionVector;
  /**
   * `versionVector().get(replica)` without copying the vector (O(1) whatever the number of
   * replicas): the highest n such that this replica has seen operations 1..n of `replica`
   * (`map.seqOf(map.id)`: the seq of its own last operation); 0 for a replica it has seen
   * nothing of.
   */
  readonly seqOf: (replica: ReplicaId) => number;
  /** The full state, canonical: equal states encode to equal bytes. */
  readonly encodeState: () => Uint8Array;
  /** Everything a replica at `since` lacks; costs O(keys changed since). */
  readonly encodeDelta: (since: VersionVector) => Uint8Array;
  /** Merges a full state. */
  readonly applyState: (bytes: Uint8Array) => ApplyResult;
  /** Merges a delta. @throws PayloadKindError (`DELTA_UNKNOWN_BASE`) when its base is not reached here. */
  readonly applyDelta: (bytes: Uint8Array) => ApplyResult;
  /** Merges one op payload from `onOp`; duplicates are skipped. */
  readonly applyOp: (bytes: Uint8Array) => ApplyResult;
  /** Merges any payload (state, delta or op). */
  readonly apply: (bytes: Uint8Array) => ApplyResult;
  /**
   * The keys a payload (state, delta or op) carries, in ascending order, without applying it:
   * decoded and checked against this replica's rules like an apply would (the same decode and
   * config errors), but nothing is admitted or merged and the replica is unchanged. For servers
   * that check every key of an incoming payload against a principal's patterns before merging.
   */
  readonly payloadKeys: (bytes: Uint8Array) => readonly string[];
  /**
   * Merges any payload in chunks, yielding to the event loop between them: first it decodes and
   * checks the whole payload (refusing it without any change), then merges. The merge takes effect
   * as if applied at once when decoding ends: local writes made before that point come before it,
   * writes made after come after it (a write to a key still waiting to be merged first merges that
   * key). So the result equals a blocking apply at that point with every local write kept, in order.
   */
  readonly applyAsync: (bytes: Uint8Array, options?: ApplyAsyncOptions) => Promise<ApplyResult>;
  /**
   * Collects causal metadata and tombstones that every replica has seen. `peers` are the version
   * vectors of all other replicas (this replica's own is added). Values never change. Returns
   * the number of entries shrunk or dropped.
   */
  readonly compact: (peers: readonly VersionVector[]) => number;
  /**
   * Replaces this replica's whole state with what a fresh replica of the same rules holds after
   * applying `payload` (a full state, or a delta since the empty vector) and then each payload of
   * `then` in order (e.g. this replica's own unacknowledged ops): keys the result lacks are
   * removed, the causal context becomes the result's. This is how a replica takes a server's state
   * after compaction left it behind (a sync reset) without resurrecting what the server collected:
   * `then` passes the causal barrier of the new state, so only parts the new state has not seen
   * survive. Unlike every merge, this may forget: it is not a join.
   *
   * - All or nothing: every payload is decoded, checked and merged before anything changes; a
   *   refused payload throws its typed error (`DECODE_*`, `CONFIG_MISMATCH`, `DELTA_UNKNOWN_BASE`,
   *   `HLC_DRIFT`, …) and the replica is unchanged.
   * - The id and clock stay; the next local operation's seq stays above every seq this replica
   *   used before and every own operation the new state holds, so a dot is never reused (an own
   *   operation neither in the new state nor in `then` leaves a gap in this replica's entry).
   * - Listeners get one `remote` change event with every key whose state bytes changed; snapshots
   *   taken before keep reading the old state. Do not call it while an `applyAsync` is running.
   *
   * @example
   * client.replaceState(serverState, unacknowledgedOps);
   */
  readonly replaceState: (payload: Uint8Array, then?: readonly Uint8Array[]) => ApplyResult;
}
