// DecodeState: everything one payload decoder holds about its payload, in one record.
import { CausalContext } from "../causal-context.ts";
import type { AnyResolver, KeyRules } from "../key-rules.ts";
import { LoneReader } from "../register/lone-reader.ts";
import { SiblingColumns } from "../register/sibling-columns.ts";
import { DEFAULT_DECODE_LIMITS, StateReader } from "../state-codec.ts";
import { type ReplicaId, VersionVector } from "../version-vector.ts";
import type { PayloadKind } from "./format.ts";
import { KeyDecoder } from "./keys.ts";

/** What a released decoder holds instead of the replica's key rules. */
const RELEASED_RULES: KeyRules = {
  resolverFor: () => {
    throw new Error("a released payload decoder decodes nothing");
  },
  resolvers: new Map(),
  fingerprint: new Uint8Array(8),
  canonical: "",
};

/**
 * The per-payload state of a {@link PayloadDecoder}: built whole when a payload's header and
 * tables are read, replaced whole by {@link RELEASED} when the decoder is released, so nothing of
 * a payload or of the replica that applied it outlives the apply and no field can be missed.
 */
export class DecodeState {
  readonly kind: PayloadKind;
  readonly context: CausalContext;
  /** For a delta: the version vector it was computed since. */
  readonly since: VersionVector;
  readonly total: number;
  /** Decoded keys, allocated for `total` entries. */
  readonly keys: string[];
  /** The payload's replica table (what the replica column of `lone` indexes). */
  readonly replicaTable: readonly ReplicaId[];
  readonly reader: StateReader;
  readonly rules: KeyRules;
  /** The payload's resolver table. */
  readonly payloadResolvers: readonly AnyResolver[];
  /** The payload's only resolver, when its table lists one; else each entry's, in `resolvers`. */
  readonly only: AnyResolver | undefined;
  readonly resolvers: AnyResolver[];
  readonly keyDecoder: KeyDecoder = new KeyDecoder();
  readonly loneReader: LoneReader = new LoneReader();
  /** Lone register values, by entry index; sized on the first. */
  lone: SiblingColumns = new SiblingColumns(0);
  /** Decoded states of the entries not in the lone columns (allocated on the first such entry). */
  states: unknown[] | undefined = undefined;
  /** Slots found by a key matcher (see `PayloadDecoder.matchedSlots`). */
  matchedSlots: Int32Array | undefined = undefined;
  /** Entries decoded so far. */
  count = 0;
  /** Resolver-table entries referenced so far (the table lists resolvers in order of first use). */
  usedCount = 0;
  /** The last resolver asked about the fast lane, and the answer. */
  lastResolver: AnyResolver | undefined = undefined;
  lastFast = false;

  constructor(
    kind: PayloadKind,
    context: CausalContext,
    since: VersionVector,
    total: number,
    replicaTable: readonly ReplicaId[],
    reader: StateReader,
    rules: KeyRules,
    payloadResolvers: readonly AnyResolver[],
  ) {
    this.kind = kind;
    this.context = context;
    this.since = since;
    this.total = total;
    // Sized up front (the count is bounded by the bytes left): filling by index is several times
    // cheaper than growing by push at a million entries.
    this.keys = new Array(total);
    this.replicaTable = replicaTable;
    this.reader = reader;
    this.rules = rules;
    this.payloadResolvers = payloadResolvers;
    this.only = payloadResolvers.length === 1 ? payloadResolvers[0] : undefined;
    this.resolvers = this.only === undefined ? new Array(total) : [];
  }
}

/** The state of every released decoder: no payload, no rules, a reader over no bytes. */
export const RELEASED: DecodeState = new DecodeState(
  "state",
  new CausalContext(),
  VersionVector.empty,
  0,
  [],
  new StateReader(new Uint8Array(0), 0, 0, [], DEFAULT_DECODE_LIMITS),
  RELEASED_RULES,
  [],
);
