// AsyncApply: the chunked apply that yields to the event loop, and the keys it still holds for local writes.
import type { CausalContext } from "../causal-context.ts";
import type { AnyResolver, KeyRules } from "../key-rules.ts";
import { PayloadDecoder } from "../payload/decode.ts";
import type { KeyStore } from "../register/key-store.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import type { ApplyAsyncOptions, ApplyResult, Change } from "../replicated-map-types.ts";
import type { DecodeLimits } from "../state-codec.ts";
import type { Admission } from "./admission.ts";
import type { ChangeIndex } from "./change-index.ts";
import type { Listeners } from "./listeners.ts";
import { prepareReads } from "./prepare-reads.ts";
import { readOrUndefined } from "./read-state.ts";
import type { ReplicaParts } from "./replica-parts.ts";
import type { StateCommitter } from "./state-committer.ts";

/** An async apply past its decoding: the keys it has still to merge (key → entry index). */
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

/** Runs applies in chunks; a local write to a key one of them still holds merges that key first. */
export class AsyncApply {
  readonly #rules: KeyRules;
  readonly #limits: DecodeLimits;
  readonly #intern: ReplicaInterner;
  readonly #store: KeyStore;
  readonly #context: CausalContext;
  readonly #index: ChangeIndex;
  readonly #committer: StateCommitter;
  readonly #listeners: Listeners;
  readonly #admission: Admission;
  readonly #resolverFor: (key: string) => AnyResolver;
  /** Made on the first async apply. */
  #inflight: Set<Inflight> | undefined;

  constructor(parts: ReplicaParts) {
    this.#rules = parts.rules;
    this.#limits = parts.limits;
    this.#intern = parts.intern;
    this.#store = parts.store;
    this.#context = parts.context;
    this.#index = parts.index;
    this.#committer = parts.committer;
    this.#listeners = parts.listeners;
    this.#admission = parts.admission;
    this.#resolverFor = parts.resolverFor;
  }

  /**
   * Merges what in-flight async applies still hold for `key`, so a local write sees it: one
   * remote event before the write's own, counted in that apply's result.
   */
  settle(key: string): void {
    const inflight = this.#inflight;
    if (inflight === undefined || inflight.size === 0) return;
    for (const f of inflight) {
      const i = f.pending.get(key);
      if (i === undefined) continue;
      f.pending.delete(key);
      const changes: Change[] = [];
      if (this.#mergeNow(key, f.decoder.resolverAt(i), f.decoder.stateAt(i), changes)) f.settled++;
      this.#listeners.emit("remote", changes);
    }
  }

  /** Decodes `bytes` in chunks, admits it, then merges it in chunks (see ReplicatedMap.applyAsync). */
  async run(bytes: Uint8Array, opts: ApplyAsyncOptions = {}): Promise<ApplyResult> {
    const chunk = Math.max(1, opts.chunkSize ?? 4096);
    const pause = opts.yieldTo ?? defaultYield;
    const decoder = new PayloadDecoder(bytes, this.#rules, this.#limits, this.#intern);
    do {
      decoder.next(chunk);
      if (!decoder.done) await pause("decode");
    } while (!decoder.done);
    if (this.#admission.isDuplicateOp(decoder)) return { changed: 0, duplicate: true };
    this.#admission.check(decoder, undefined);
    const pending = new Map<string, number>();
    decoder.keys.forEach((k, i) => {
      pending.set(k, i);
    });
    const flight: Inflight = { decoder, pending, settled: 0 };
    this.#inflight ??= new Set();
    const inflight = this.#inflight;
    inflight.add(flight);
    let changed = 0;
    let duplicate = false;
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
          if (this.#mergeNow(key, decoder.resolverAt(i), decoder.stateAt(i), changes)) {
            changed++;
            done.push(this.#store.get(key));
            doneResolvers.push(decoder.resolverAt(i));
          }
        }
        prepareReads((k) => doneResolvers[k] as AnyResolver, done, 0, done.length);
        // One event per chunk, after the chunk's batch reads.
        this.#listeners.emit("remote", changes);
      }
      duplicate = changed + flight.settled === 0 && this.#context.covers(decoder.context);
      this.#context.merge(decoder.context);
      this.#index.rebuildIfDue(this.#store, this.#resolverFor);
    } finally {
      inflight.delete(flight);
      decoder.release();
    }
    this.#listeners.flush();
    return { changed: changed + flight.settled, duplicate };
  }

  /**
   * Merges `incoming` into `key` right away (an async apply's chunk, or a key it still holds that
   * a local write needs now); the change, if any, goes to `changes` when someone listens.
   */
  #mergeNow(key: string, resolver: AnyResolver, incoming: unknown, changes: Change[]): boolean {
    const store = this.#store;
    const slot = store.slotOf(key);
    const old = slot < 0 ? undefined : store.stateAt(slot);
    const next = this.#admission.merged(resolver, incoming, old);
    const track = this.#listeners.tracking;
    const reader = this.#resolverFor(key);
    const before = track ? readOrUndefined(reader, old) : undefined;
    const changed = this.#committer.commit(key, slot, resolver, old, next);
    if (changed && track) changes.push({ key, value: readOrUndefined(reader, next), previous: before });
    return changed;
  }
}
