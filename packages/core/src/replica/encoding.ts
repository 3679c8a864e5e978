// Encoding: the replica's outgoing payloads — full state, delta since a version vector, entries for ops.
import { CausalContext } from "../causal-context.ts";
import type { AnyResolver, KeyRules } from "../key-rules.ts";
import { encodePayload } from "../payload/encode.ts";
import type { PayloadEntry } from "../payload/format.ts";
import { encodeSingleWrite } from "../payload/single-write.ts";
import type { KeyStore } from "../register/key-store.ts";
import type { Sibling } from "../register/sibling.ts";
import type { ReplicaId, VersionVector } from "../version-vector.ts";
import type { ChangeIndex } from "./change-index.ts";
import type { ReplicaParts } from "./replica-parts.ts";

/** Builds payloads from the store; every payload's entries are in key order. */
export class Encoding {
  readonly #rules: KeyRules;
  readonly #store: KeyStore;
  readonly #context: CausalContext;
  readonly #index: ChangeIndex;
  readonly #resolverFor: (key: string) => AnyResolver;

  constructor(parts: ReplicaParts) {
    this.#rules = parts.rules;
    this.#store = parts.store;
    this.#context = parts.context;
    this.#index = parts.index;
    this.#resolverFor = parts.resolverFor;
  }

  /** The full state, canonical. */
  state(): Uint8Array {
    // In key order from the store (its sort is cached until the key set changes), by slot.
    const store = this.#store;
    const resolverFor = this.#resolverFor;
    const entries: PayloadEntry[] = new Array(store.size);
    let n = 0;
    store.forEachSorted((key, slot) => {
      entries[n++] = { key, resolver: resolverFor(key), state: store.stateAt(slot) };
    });
    entries.length = n;
    return encodePayload("state", this.#rules.fingerprint, this.#context, entries);
  }

  /**
   * Everything a replica at `since` lacks: the keys the change index names, re-checked against
   * their states (see {@link Encoding.entries}).
   */
  delta(since: VersionVector): Uint8Array {
    const seen = (r: ReplicaId, q: number): boolean => since.includes(r, q);
    const entries = this.entries(this.#index.keysAfter(since, this.#store), seen, since);
    return encodePayload("delta", this.#rules.fingerprint, this.#context, entries, since);
  }

  /**
   * The op payload of one register write whose state is just the value it wrote (`sibling`, a
   * register's state): the single-write layout, or the general one when that would be longer
   * than `MAX_SINGLE_WRITE_BYTES` (1 KiB).
   */
  singleWrite(key: string, resolver: AnyResolver, sibling: Sibling): Uint8Array {
    const { replica, seq } = sibling;
    const bytes = encodeSingleWrite(
      this.#rules.fingerprint,
      key,
      replica,
      seq,
      sibling.wall,
      sibling.counter,
      sibling.value,
    );
    if (bytes !== undefined) return bytes;
    const dot = new CausalContext();
    dot.add(replica, seq);
    return this.op(dot, [{ key, resolver, state: sibling }]);
  }

  /** An op payload of `entries` (sorted) with the operations' dots `dots`. */
  op(dots: CausalContext, entries: readonly PayloadEntry[]): Uint8Array {
    return encodePayload("op", this.#rules.fingerprint, dots, entries);
  }

  /**
   * Payload entries for the stored `keys`, sorted, one store lookup each; with `seen`, each state
   * is cut to what a replica that saw those operations lacks (`Resolver.delta`, when the key's
   * resolver has one); with `since`, only keys whose state holds an operation `since` lacks.
   */
  entries(
    keys: Iterable<string>,
    seen?: (replica: ReplicaId, seq: number) => boolean,
    since?: VersionVector,
  ): PayloadEntry[] {
    const store = this.#store;
    const out: PayloadEntry[] = [];
    let newer = false;
    const check = (r: ReplicaId, q: number): void => {
      if (q > (since as VersionVector).get(r)) newer = true;
    };
    for (const key of keys) {
      const slot = store.slotOf(key);
      if (slot < 0) continue;
      const state = store.stateAt(slot);
      const resolver = this.#resolverFor(key);
      newer = since === undefined;
      if (!newer) resolver.versions(state, check);
      if (newer)
        out.push({
          key,
          resolver,
          state: seen === undefined || resolver.delta === undefined ? state : resolver.delta(state, seen),
        });
    }
    return out.sort(byKey);
  }
}

/** Payload entries in key order (JavaScript string order; keys are unique). */
function byKey(a: PayloadEntry, b: PayloadEntry): number {
  return a.key < b.key ? -1 : 1;
}
