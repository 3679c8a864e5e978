import type { Timestamp } from "@converge/hlc";
import { ConfigError, describeValue } from "./errors.ts";
import type { StateReader, StateWriter } from "./state-codec.ts";
import type { ReplicaId, VersionVector } from "./version-vector.ts";

/**
 * Identity of a local operation: the replica that made it, its per-replica sequence number
 * (1, 2, 3…, one per operation on the whole map) and its HLC time (`time.node === replica`).
 */
export interface Stamp {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly time: Timestamp;
}

/**
 * One of the values a key holds concurrently, with the clock of the operation that wrote it. For
 * counters, one replica's contribution.
 */
export interface Concurrent<V> {
  readonly value: V;
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly time: Timestamp;
}

/**
 * A conflict rule: how one key's state changes under local operations, how two states merge, how a
 * state reads as a value and how it is encoded. Every key of a replicated map is governed by one
 * resolver, chosen by the map's key rules.
 *
 * States are immutable values; every function is pure and deterministic (same inputs, same
 * output, on every machine).
 *
 * Laws (checked for every built-in by the property tests and by `@converge/core/testing`):
 * - `merge` is commutative, associative and idempotent up to `encode` (equal bytes);
 * - `merge(s, op(s))` equals `op(s)`: a local operation only inflates the state;
 * - `decode(encode(s))` encodes to the same bytes as `s`;
 * - `remove` is observed-remove: it erases exactly what `state` holds, so merging the result with
 *   a state holding operations the remover had not seen keeps those operations.
 *
 * A resolver's `id` and `version` travel with the data; a replica refuses state written under an
 * id it does not know or under another version, so a resolver whose state format or semantics
 * change must get a new version.
 */
export type Resolver<In, Out = In> = ResolverImpl<In, Out, unknown>;

/**
 * The implementation side of a {@link Resolver}: the same functions with the state type `S`
 * visible. Build one and pass it to {@link defineResolver}.
 */
export interface ResolverImpl<In, Out, S> {
  /** Stable identifier, e.g. `"lww"`. ASCII letters, digits, `.`, `_`, `-`, `/`, `:` and `@`. */
  readonly id: string;
  /** Positive integer; bump it whenever the state format or the merge semantics change. */
  readonly version: number;
  /** Local write of a whole value. Absent when the resolver has no such operation. */
  readonly set?: (state: S | undefined, value: In, stamp: Stamp) => S;
  /** Local increment by a safe integer (negative for a decrement). Absent when unsupported. */
  readonly increment?: (state: S | undefined, amount: number, stamp: Stamp) => S;
  /** Local observed-remove delete of everything `state` holds. */
  readonly remove: (state: S, stamp: Stamp) => S;
  /** Join of two states. Should return `a` itself when `b` adds nothing to it. */
  readonly merge: (a: S, b: S) => S;
  /** The value a state reads as; `undefined` when the key is absent (never written, or deleted). */
  readonly read: (state: S) => Out | undefined;
  /** True exactly when `read(state)` is not `undefined`; must be cheap. */
  readonly exists: (state: S) => boolean;
  /** Every concurrent value (or contribution) with its clock, in a deterministic order. */
  readonly conflicts: (state: S) => readonly Concurrent<In>[];
  /**
   * Calls `visit` once per replica with the highest sequence number of its operations in `state`,
   * in increasing replica-id order.
   */
  readonly versions: (state: S, visit: (replica: ReplicaId, seq: number) => void) => void;
  /**
   * Collects what every replica has seen (`stable` is the pointwise minimum of all replicas'
   * version vectors). Must not change what `read` returns, nor what merging any state a replica
   * can still send yields, once incoming states pass through `forget`. May drop what it holds
   * about an operation only when every operation on the key is in `stable` (then every replica
   * has seen all of them, the deleting and overwriting ones included, so no replica needs that
   * information to reach the same read). Returns `undefined` when the whole entry can be dropped
   * (a delete every replica has seen), `state` itself when nothing can be collected. Compacting
   * equal states with equal vectors gives equal bytes.
   */
  readonly compact: (state: S, stable: VersionVector) => S | undefined;
  /**
   * The causal barrier that makes `compact` safe: what is left of an incoming `state` once the
   * parts made by operations this replica has already `seen` but its own state for the key
   * (`local`, `undefined` when it holds no entry) no longer holds are removed. Such parts were
   * collected here by `compact` after every replica had seen them overwritten or deleted, so they
   * are stale copies and must not come back. Returns `undefined` when nothing is left, `state`
   * itself when nothing was removed. Called by the map for every incoming state; a resolver whose
   * `compact` drops nothing may omit it (then an incoming state made only of seen operations is
   * skipped when the key holds no entry).
   */
  readonly forget?: (
    state: S,
    local: S | undefined,
    seen: (replica: ReplicaId, seq: number) => boolean,
  ) => S | undefined;
  /**
   * The part of `state` a replica that has seen the operations `seen` accepts still lacks. The map
   * sends it, instead of the whole state, in op payloads (`seen`: every operation but the op's or
   * the batch's own) and in deltas (`seen`: the delta's base). Law: for every state `t` holding
   * the operations of `state` that `seen` accepts, `merge(t, delta(state, seen))` equals
   * `merge(t, state)`; `delta(state, seen)` is itself a state `state` inflates. Omit it when the
   * whole state is small (registers, counters): the map then sends the whole state.
   */
  readonly delta?: (state: S, seen: (replica: ReplicaId, seq: number) => boolean) => S;
  /**
   * Optional hint that these states were just merged and may soon be read: lets a resolver whose
   * reads are expensive (a sandboxed script) do them in one batch and cache the results. Must not
   * change any state.
   */
  readonly prepare?: (states: readonly S[]) => void;
  /** Writes `state`. Must be canonical: equal states give equal bytes. */
  readonly encode: (state: S, out: StateWriter) => void;
  /** Reads what `encode` wrote; must refuse (via `input.fail`) anything `encode` cannot produce. */
  readonly decode: (input: StateReader) => S;
}

/**
 * Seals a typed implementation into a {@link Resolver}, hiding its state type, after checking its
 * id and version.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for a malformed id or version.
 */
export function defineResolver<In, Out, S>(impl: ResolverImpl<In, Out, S>): Resolver<In, Out> {
  checkResolverShape(impl, "defineResolver");
  if (!/^[A-Za-z0-9._\-/:@]{1,128}$/.test(impl.id)) {
    throw new ConfigError(`resolver id ${JSON.stringify(impl.id)} must be 1-128 of A-Z a-z 0-9 . _ - / : @`);
  }
  if (!Number.isSafeInteger(impl.version) || impl.version < 1) {
    throw new ConfigError(`resolver ${impl.id}: version ${impl.version} must be a positive integer`);
  }
  // The map hands each state back only to the resolver that produced it, so erasing S is sound.
  return Object.freeze({ ...impl }) as unknown as Resolver<In, Out>;
}

/** The functions every resolver has, and those it may have. */
const REQUIRED = [
  "remove",
  "merge",
  "read",
  "exists",
  "conflicts",
  "versions",
  "compact",
  "encode",
  "decode",
] as const;
const OPTIONAL = ["set", "increment", "forget", "prepare", "delta"] as const;

/**
 * @internal Throws `INVALID_CONFIG` unless `value` has a resolver's shape: an object with a string
 * id, a number version and the resolver functions. A function in its place is most likely a
 * resolver factory passed without calling it (`lww` instead of `lww()`), and the message says so.
 */
export function checkResolverShape(value: unknown, where: string): void {
  if (typeof value === "function") {
    const name = value.name === "" ? "factory" : value.name;
    throw new ConfigError(
      `${where}: expected a resolver, got the function ${name} itself; call it: ${name}()`,
    );
  }
  if (typeof value !== "object" || value === null) {
    throw new ConfigError(`${where}: expected a resolver (e.g. lww()), got ${describeValue(value)}`);
  }
  const r = value as Record<string, unknown>;
  if (typeof r["id"] !== "string") {
    throw new ConfigError(`${where}: expected a resolver with a string id, got id ${describeValue(r["id"])}`);
  }
  if (typeof r["version"] !== "number") {
    throw new ConfigError(
      `${where}: resolver ${r["id"]} needs a number version, got ${describeValue(r["version"])}`,
    );
  }
  const missing = REQUIRED.filter((f) => typeof r[f] !== "function");
  if (missing.length > 0) {
    throw new ConfigError(`${where}: resolver ${r["id"]} has no ${missing.join(", ")} function`);
  }
  for (const f of OPTIONAL) {
    if (r[f] !== undefined && typeof r[f] !== "function") {
      throw new ConfigError(
        `${where}: resolver ${r["id"]}: ${f} must be a function when given, got ${describeValue(r[f])}`,
      );
    }
  }
}
