// PayloadDecoder: the step-wise, untrusting decoder of a payload's entries.
import { CausalContext } from "../causal-context.ts";
import { DecodeError, ResolverMismatchError } from "../errors.ts";
import type { KeyMatcher } from "../key-matcher.ts";
import { type AnyResolver, type KeyRules, resolverName } from "../key-rules.ts";
import { isRegister } from "../register/register-resolver.ts";
import { Sibling } from "../register/sibling.ts";
import { MAX_COLUMN_SEQ, SiblingColumns } from "../register/sibling-columns.ts";
import type { ReplicaInterner } from "../replica-interner.ts";
import { keepShape } from "../shape-keeper.ts";
import { type DecodeLimits, StateReader } from "../state-codec.ts";
import { type ReplicaId, VersionVector } from "../version-vector.ts";
import { DecodeState, RELEASED } from "./decode-state.ts";
import type { MaxTime, PayloadKind } from "./format.ts";
import { openPayload, type PayloadFrame } from "./header.ts";
import { readSingleWrite, singleWriteResolver } from "./single-write.ts";
import { readReplicaTable, readResolverTable } from "./tables.ts";

/**
 * The decode state of a single-write op (kind 4), complete at once: its one entry (in the lone
 * columns, or as a state for a register with batched reads), its dot as the context.
 *
 * @throws DecodeError; ResolverMismatchError (`RESOLVER_MISMATCH`) when the key's resolver here
 * is not a register.
 */
function singleWriteState(
  bytes: Uint8Array,
  frame: PayloadFrame,
  rules: KeyRules,
  limits: DecodeLimits,
  intern: ReplicaInterner,
): DecodeState {
  const w = readSingleWrite(bytes, frame, limits, intern);
  const resolver = singleWriteResolver(rules, w.key);
  const context = new CausalContext();
  context.add(w.replica, w.seq);
  const table = [w.replica];
  const r = new StateReader(bytes, frame.end, frame.end, table, limits);
  r.noteRead(0, w.seq, w.wall, w.counter, w.replica);
  const s = new DecodeState("op", context, VersionVector.empty, 1, table, r, rules, [resolver]);
  s.keys[0] = w.key;
  // The lone columns hold 32-bit seqs: a longer one stays a state object.
  if (resolver.prepare === undefined && w.seq <= MAX_COLUMN_SEQ) {
    s.lone = new SiblingColumns(1);
    s.lone.write(0, 0, w.seq, w.wall, w.counter, w.value);
  } else s.states = [new Sibling(w.replica, w.seq, w.wall, w.counter, w.value)];
  s.count = 1;
  s.usedCount = 1;
  return s;
}

/**
 * Decodes a payload in steps (so a large one can be decoded in chunks): the constructor reads
 * and checks the header, tables and context; {@link PayloadDecoder.next} decodes entries. Nothing
 * is trusted; every error is a {@link DecodeError} or a {@link ResolverMismatchError}.
 */
export class PayloadDecoder {
  /** Everything decoded from the payload; {@link RELEASED} once released. */
  #s: DecodeState;

  constructor(bytes: Uint8Array, rules: KeyRules, limits: DecodeLimits, intern: ReplicaInterner) {
    const frame = openPayload(bytes, limits, rules.fingerprint);
    if (frame.single) {
      this.#s = singleWriteState(bytes, frame, rules, limits, intern);
      return;
    }
    const { kind, start, end } = frame;
    // Tables first: the resolver table names what the payload was written with.
    const table: ReplicaId[] = [];
    const r = new StateReader(bytes, start, end, table, limits);
    const payloadResolvers = readResolverTable(bytes, r, rules);
    readReplicaTable(r, table, intern);
    const context = CausalContext.decode(r);
    const since = new Map<ReplicaId, number>();
    if (kind === "delta") {
      const n = r.count(2, "since entry");
      let last = "";
      for (let i = 0; i < n; i++) {
        const replica = r.replica();
        if (!(replica > last)) r.fail("since vector not sorted by replica");
        last = replica;
        since.set(replica, r.seq());
      }
    }
    const total = r.count(3, "entry");
    if (total > limits.maxEntries) {
      throw new DecodeError(
        "DECODE_TOO_LARGE",
        `${total} entries exceed the limit of ${limits.maxEntries}`,
        r.offset,
      );
    }
    if (kind === "op" && total === 0) r.fail("an op payload holds at least one entry");
    this.#s = new DecodeState(
      kind,
      context,
      new VersionVector(since),
      total,
      table,
      r,
      rules,
      payloadResolvers,
    );
  }

  /** What the payload carries. */
  get kind(): PayloadKind {
    return this.#s.kind;
  }

  /** The payload's causal context. */
  get context(): CausalContext {
    return this.#s.context;
  }

  /** For a delta: the version vector it was computed since. */
  get since(): VersionVector {
    return this.#s.since;
  }

  /** Entries the payload announces. */
  get total(): number {
    return this.#s.total;
  }

  /** Decoded keys (allocated for {@link PayloadDecoder.total} entries; complete once {@link PayloadDecoder.done}). */
  get keys(): readonly string[] {
    return this.#s.keys;
  }

  /** The payload's replica table (what the replica column of {@link PayloadDecoder.lone} indexes). */
  get replicaTable(): readonly ReplicaId[] {
    return this.#s.replicaTable;
  }

  /** Lone register values, by entry index (see {@link PayloadDecoder.isLone}). */
  get lone(): SiblingColumns {
    return this.#s.lone;
  }

  /**
   * Slots of decoded keys found by a {@link KeyMatcher}: the slot, -1 for a key surely not stored,
   * -2 when the matcher could not tell (look it up). Filled by `next`.
   */
  get matchedSlots(): Int32Array | undefined {
    return this.#s.matchedSlots;
  }

  /** True when every entry has been decoded. */
  get done(): boolean {
    return this.#s.count === this.#s.total;
  }

  /**
   * Decodes up to `max` more entries; checks for trailing bytes after the last one. With a
   * `matcher`, keys already stored are taken from the store (and their slots recorded) instead of
   * being decoded into new strings.
   */
  next(max: number, matcher?: KeyMatcher): void {
    const s = this.#s;
    if (matcher !== undefined && s.matchedSlots === undefined)
      s.matchedSlots = new Int32Array(s.total).fill(-2);
    const end = Math.min(s.total, s.count + max);
    // One call per entry (not one long loop): V8 then compiles the entry decoder once for the life
    // of the process, where a long loop would be recompiled on stack at every apply.
    for (let i = s.count; i < end; i++) this.#entry(s, i, matcher);
    if (this.done) {
      const r = s.reader;
      r.done();
      if (s.usedCount !== s.payloadResolvers.length) r.fail("resolver table lists a resolver no entry uses");
      if (r.replicasUsed !== s.replicaTable.length)
        r.fail("replica table lists a replica nothing in the payload refers to");
    }
  }

  /** Decodes entry `i`: its front-coded key, resolver index and state. */
  #entry(s: DecodeState, i: number, matcher: KeyMatcher | undefined): void {
    const r: StateReader = s.reader;
    const key = s.keyDecoder.read(r, i, matcher, s.matchedSlots);
    const ri = s.only === undefined ? r.uint() : 0;
    const resolver = s.payloadResolvers[ri];
    if (resolver === undefined) r.fail(`resolver index ${ri} outside the table`);
    if (ri >= s.usedCount) {
      if (ri !== s.usedCount) r.fail(`resolver index ${ri} before index ${s.usedCount} was used`);
      s.usedCount++;
    }
    const mine = s.rules.resolverFor(key);
    if (mine !== resolver) {
      throw new ResolverMismatchError(
        "RESOLVER_MISMATCH",
        `key ${JSON.stringify(key)} is governed by ${resolverName(mine)} here but by ${resolverName(resolver)} in the payload`,
      );
    }
    this.#decodeState(s, resolver, r, i);
    s.keys[i] = key;
    if (s.only === undefined) s.resolvers[i] = resolver;
    s.count = i + 1;
  }

  /**
   * A register holding one value and nothing else — what most entries of a state are — is read
   * into columns instead of an object; anything else is decoded by its resolver. Keeps a
   * million-key apply from filling the heap with objects that live only until the merge.
   */
  #decodeState(s: DecodeState, resolver: AnyResolver, r: StateReader, i: number): void {
    if (r.peek() === 2 && this.#fastLane(s, resolver)) {
      if (s.lone.capacity === 0) s.lone = new SiblingColumns(s.total);
      if (s.loneReader.read(r, s.lone, i)) return;
    }
    s.states ??= new Array(s.total);
    s.states[i] = resolver.decode(r);
  }

  /** Whether `resolver`'s lone values may use the columns (a register without batched reads). */
  #fastLane(s: DecodeState, resolver: AnyResolver): boolean {
    if (resolver !== s.lastResolver) {
      s.lastResolver = resolver;
      s.lastFast = resolver.prepare === undefined && isRegister(resolver);
    }
    return s.lastFast;
  }

  /** Whether entry `i` is held in the lone columns (its seq there is at least 1). */
  isLone(i: number): boolean {
    const lone = this.#s.lone;
    return lone.capacity > 0 && lone.seq[i] !== 0;
  }

  /** The payload's only resolver, when its table lists one (then {@link PayloadDecoder.entryResolvers} is empty). */
  get onlyResolver(): AnyResolver | undefined {
    return this.#s.only;
  }

  /** Each entry's resolver, by entry index, when the payload has more than one. */
  get entryResolvers(): readonly AnyResolver[] {
    return this.#s.resolvers;
  }

  /** The resolver of entry `i`. */
  resolverAt(i: number): AnyResolver {
    const s = this.#s;
    return s.only ?? (s.resolvers[i] as AnyResolver);
  }

  /** Entry `i`'s state as an object (a new one for an entry read into the lone columns). */
  stateAt(i: number): unknown {
    const s = this.#s;
    return this.isLone(i) ? s.lone.sibling(i, s.replicaTable) : s.states?.[i];
  }

  /**
   * Drops the payload and everything decoded from it, once the apply is over — one assignment:
   * the whole per-payload record goes — and keeps the emptied decoder alive (see
   * shape-keeper.ts). The decoder must not be used afterwards.
   */
  release(): void {
    this.#s = RELEASED;
    keepShape("PayloadDecoder", this);
  }

  /** The largest HLC time decoded so far. */
  maxTime(): MaxTime {
    const r = this.#s.reader;
    return { wall: r.maxWall, counter: r.maxCounter, node: r.maxNode };
  }
}
