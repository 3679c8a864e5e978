// LocalOps: this replica's own operations — stamp, compute, commit, broadcast — and batches of them.
import type { Clock } from "@converge/hlc";
import { CausalContext } from "../causal-context.ts";
import {
  InvalidKeyError,
  InvalidValueError,
  SeqOverflowError,
  UnsupportedOperationError,
} from "../errors.ts";
import type { AnyResolver } from "../key-rules.ts";
import type { KeyStore } from "../register/key-store.ts";
import { isRegister } from "../register/register-resolver.ts";
import { Sibling } from "../register/sibling.ts";
import type { Change } from "../replicated-map-types.ts";
import type { Stamp } from "../resolver.ts";
import type { DecodeLimits } from "../state-codec.ts";
import type { ReplicaId } from "../version-vector.ts";
import { MAX_ZIGZAG, utf8 } from "../writer.ts";
import type { AsyncApply } from "./async-apply.ts";
import type { Encoding } from "./encoding.ts";
import type { Listeners } from "./listeners.ts";
import { readOrUndefined } from "./read-state.ts";
import type { ReplicaParts } from "./replica-parts.ts";
import type { StateCommitter } from "./state-committer.ts";

/**
 * An open {@link ReplicatedMap.batch}: the keys it wrote (first previous value, for its event)
 * and its dots, sent as one op payload and one event when the batch ends.
 */
interface OpenBatch {
  readonly keys: Map<string, unknown>;
  readonly dots: CausalContext;
}

/** What a local operation does: {@link LocalOps.#local} computes the key's next state by it. */
const SET = 0;
const INCREMENT = 1;
const REMOVE = 2;
type Operation = typeof SET | typeof INCREMENT | typeof REMOVE;

/** The error for operation `op` on `key`, whose resolver lacks it. */
function unsupported(key: string, resolver: AnyResolver, op: "set" | "increment"): UnsupportedOperationError {
  return new UnsupportedOperationError(`key ${JSON.stringify(key)} uses ${resolver.id}, which has no ${op}`);
}

/**
 * Whether `v` holds a string (an object key too) or a byte array longer than `max` UTF-8 bytes,
 * which every decoder with the same limits refuses. Stops below the depth `toValue` refuses.
 */
const tooLong = (v: unknown, max: number, depth = 0): boolean =>
  typeof v === "string"
    ? v.length * 3 > max && utf8.encode(v).length > max
    : v instanceof Uint8Array
      ? v.length > max
      : typeof v === "object" &&
        v !== null &&
        depth < 65 &&
        Object.entries(v).some(([k, x]) => tooLong(k, max) || tooLong(x, max, depth + 1));

/** Runs local operations: each is stamped with the next seq and an HLC tick, then committed. */
export class LocalOps {
  /** The seq of this replica's last operation. */
  seq = 0;
  #batch: OpenBatch | undefined;
  readonly #id: ReplicaId;
  readonly #clock: Clock;
  readonly #limits: DecodeLimits;
  readonly #store: KeyStore;
  readonly #context: CausalContext;
  readonly #committer: StateCommitter;
  readonly #listeners: Listeners;
  readonly #resolverFor: (key: string) => AnyResolver;
  readonly #async: AsyncApply;
  readonly #encoding: Encoding;
  /** The resolver {@link LocalOps.#sendsSingle} answered for last, and its answer. */
  #lastResolver: AnyResolver | undefined;
  #lastSingle = false;

  constructor(parts: ReplicaParts, async: AsyncApply, encoding: Encoding) {
    this.#id = parts.id;
    this.#clock = parts.clock;
    this.#limits = parts.limits;
    this.#store = parts.store;
    this.#context = parts.context;
    this.#committer = parts.committer;
    this.#listeners = parts.listeners;
    this.#resolverFor = parts.resolverFor;
    this.#async = async;
    this.#encoding = encoding;
  }

  /** Writes `value` to `key`. */
  set(key: string, value: unknown): void {
    this.#local(key, SET, value);
  }

  /** Adds `amount` (a checked safe integer) to `key`; 0 checks the key and its resolver and does nothing. */
  increment(key: string, amount: number): void {
    if (amount === 0) {
      // Adding 0 is no operation: nothing is stamped, sent or stored.
      this.checkKey(key);
      const resolver = this.#resolverFor(key);
      if (resolver.increment === undefined) throw unsupported(key, resolver, "increment");
      return;
    }
    this.#local(key, INCREMENT, amount);
  }

  /** Observed-remove delete; returns whether the key was present. */
  remove(key: string): boolean {
    this.checkKey(key);
    this.#async.settle(key);
    const old = this.#store.get(key);
    const resolver = this.#resolverFor(key);
    if (old === undefined || !resolver.exists(old)) return false;
    this.#local(key, REMOVE, undefined);
    return true;
  }

  /** Runs `work` as one batch (nested batches join the outermost). */
  batch<T>(work: () => T): T {
    if (typeof work !== "function") throw new InvalidValueError(`batch takes a function, got ${typeof work}`);
    if (this.#batch !== undefined) return work(); // nested: part of the outer batch
    this.#batch = { keys: new Map(), dots: new CausalContext() };
    try {
      return work();
    } finally {
      this.#endBatch();
    }
  }

  /** @throws InvalidKeyError unless `key` is a well-formed string within the key limit. */
  checkKey(key: string): void {
    if (typeof key !== "string") throw new InvalidKeyError(`key must be a string, got ${typeof key}`);
    if (!key.isWellFormed()) throw new InvalidKeyError("key contains a lone surrogate");
    const max = this.#limits.maxKeyBytes;
    if (tooLong(key, max)) throw new InvalidKeyError(`key longer than ${max} UTF-8 bytes`);
  }

  /** Runs one local operation: stamp, compute, then commit (a throwing resolver consumes nothing). */
  #local(key: string, op: Operation, arg: unknown): void {
    this.checkKey(key);
    // One past the highest own seq seen, made here or received back: a replica restored from an
    // older state learns its later operations from its peers, and must not reuse their seqs.
    const seq = Math.max(this.seq, this.#context.highest(this.#id)) + 1;
    // A dot's seq is at most 2^52 − 1 (a state restored near it can get there): past it, the
    // write could be neither encoded nor read by any replica.
    if (seq > MAX_ZIGZAG) throw new SeqOverflowError(`replica ${this.#id} has used every seq up to 2^52 - 1`);
    // A value no replica could decode would make this replica's state unreadable everywhere.
    if (op === SET && tooLong(arg, this.#limits.maxStringBytes))
      throw new InvalidValueError("value holds a string or bytes past maxStringBytes");
    const resolver = this.#resolverFor(key);
    this.#async.settle(key);
    const store = this.#store;
    const slot = store.slotOf(key);
    const old = slot < 0 ? undefined : store.stateAt(slot);
    const stamp: Stamp = { replica: this.#id, seq, time: this.#clock.tick() };
    let next: unknown;
    if (op === SET) {
      if (resolver.set === undefined) throw unsupported(key, resolver, "set");
      next = resolver.set(old, arg, stamp);
    } else if (op === INCREMENT) {
      if (resolver.increment === undefined) throw unsupported(key, resolver, "increment");
      next = resolver.increment(old, arg as number, stamp);
    } else next = resolver.remove(old, stamp);
    this.seq = seq;
    this.#context.add(this.#id, seq);
    this.#committer.commit(key, slot, resolver, old, next);
    const listeners = this.#listeners;
    const batch = this.#batch;
    if (batch !== undefined) {
      batch.dots.add(this.#id, seq);
      if (!batch.keys.has(key))
        batch.keys.set(key, listeners.tracking ? readOrUndefined(resolver, old) : undefined);
      return;
    }
    if (listeners.wantsOps) {
      if (next instanceof Sibling && this.#sendsSingle(resolver)) {
        // A register write that left just its own value: the single-write op.
        listeners.sendOp(this.#encoding.singleWrite(key, resolver, next));
      } else {
        const dot = new CausalContext();
        dot.add(this.#id, seq);
        // A resolver with `delta` sends only what a replica that saw every other operation lacks.
        const id = this.#id;
        const state =
          resolver.delta === undefined ? next : resolver.delta(next, (r, q) => r !== id || q !== seq);
        listeners.sendOp(this.#encoding.op(dot, [{ key, resolver, state }]));
      }
    }
    if (listeners.tracking) {
      listeners.emit("local", [
        { key, value: readOrUndefined(resolver, next), previous: readOrUndefined(resolver, old) },
      ]);
    }
    listeners.flush();
  }

  /** Whether `resolver`'s lone values go as single-write ops (a register; the last answer is kept). */
  #sendsSingle(resolver: AnyResolver): boolean {
    if (resolver !== this.#lastResolver) {
      this.#lastResolver = resolver;
      this.#lastSingle = resolver.delta === undefined && isRegister(resolver);
    }
    return this.#lastSingle;
  }

  /** Ends the outermost batch: one op payload with every key it wrote, one local event. */
  #endBatch(): void {
    const open = this.#batch;
    this.#batch = undefined;
    if (open === undefined || open.keys.size === 0) return;
    const listeners = this.#listeners;
    if (listeners.wantsOps)
      listeners.sendOp(
        this.#encoding.op(
          open.dots,
          this.#encoding.entries(open.keys.keys(), (r, q) => !open.dots.has(r, q)),
        ),
      );
    if (listeners.tracking) {
      const changes: Change[] = [];
      for (const [key, previous] of [...open.keys].sort((x, y) => (x[0] < y[0] ? -1 : 1)))
        changes.push({ key, value: readOrUndefined(this.#resolverFor(key), this.#store.get(key)), previous });
      listeners.emit("local", changes);
    }
    listeners.flush();
  }
}
