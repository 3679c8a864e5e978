// Admission: what a decoded payload must pass before anything merges (kind, delta base, drift), and the causal barrier.
import { type Clock, Timestamp } from "@converge/hlc";
import type { CausalContext } from "../causal-context.ts";
import { PayloadKindError } from "../errors.ts";
import type { AnyResolver } from "../key-rules.ts";
import type { PayloadDecoder } from "../payload/decode.ts";
import type { PayloadKind } from "../payload/format.ts";
import type { ReplicaId } from "../version-vector.ts";

/** The checks between a decoded payload and the merge, over the replica's causal context and clock. */
export class Admission {
  readonly #context: CausalContext;
  readonly #clock: Clock;

  constructor(context: CausalContext, clock: Clock) {
    this.#context = context;
    this.#clock = clock;
  }

  /** Whether this replica has seen operation (`replica`, `seq`). */
  readonly seen = (replica: ReplicaId, seq: number): boolean => this.#context.has(replica, seq);

  /** An op payload whose operation this replica has already seen (dot in its vector or cloud). */
  isDuplicateOp(decoder: PayloadDecoder): boolean {
    return decoder.kind === "op" && this.#context.covers(decoder.context);
  }

  /**
   * Checks everything that could refuse a decoded payload, changing nothing but the clock: its
   * kind, a delta's base, and (last) its newest HLC time against the clock's drift limit.
   *
   * @throws PayloadKindError (`WRONG_PAYLOAD_KIND`, `DELTA_UNKNOWN_BASE`); the clock's `HLC_DRIFT`.
   */
  check(decoder: PayloadDecoder, expected: PayloadKind | undefined): void {
    if (expected !== undefined && decoder.kind !== expected) {
      throw new PayloadKindError(
        "WRONG_PAYLOAD_KIND",
        `expected a ${expected} payload, got a ${decoder.kind}`,
      );
    }
    const context = this.#context;
    if (decoder.kind === "delta") {
      // The delta leaves out everything up to `since`: this replica must have every one of those
      // operations (contiguously, or in its cloud), or it would never receive the missing ones.
      for (const [r, s] of decoder.since.entries()) {
        if (!context.hasUpTo(r, s)) {
          throw new PayloadKindError(
            "DELTA_UNKNOWN_BASE",
            `delta was computed since ${r}:${s}, but this replica has only seen ${r} up to ${context.get(r)}`,
          );
        }
      }
    }
    const max = decoder.maxTime();
    // Throws HLC_DRIFT (clock unchanged) when the payload's newest time is too far ahead.
    if (max.wall >= 0) this.#clock.observe(new Timestamp(max.wall, max.counter, max.node));
  }

  /**
   * The part of an incoming state worth merging: the causal barrier behind compaction. Parts made
   * by operations this replica has seen but its own state for the key no longer holds were
   * collected by `compact` (this replica's, or a peer's whose state it took) after every replica
   * saw them overwritten or deleted, so a stale copy cannot bring them back (see
   * {@link Resolver.forget}). A no-op for states made only of operations not seen yet.
   */
  admitState(resolver: AnyResolver, incoming: unknown, old: unknown): unknown {
    if (resolver.forget !== undefined) return resolver.forget(incoming, old, this.seen);
    return old === undefined && this.#known(resolver, incoming) ? undefined : incoming;
  }

  /** `old` merged with what {@link Admission.admitState} lets through of `incoming`. */
  merged(resolver: AnyResolver, incoming: unknown, old: unknown): unknown {
    const admitted = this.admitState(resolver, incoming, old);
    return admitted === undefined ? old : old === undefined ? admitted : resolver.merge(old, admitted);
  }

  /** True when every operation in an incoming key state is already known here. */
  #known(resolver: AnyResolver, state: unknown): boolean {
    const context = this.#context;
    let all = true;
    resolver.versions(state, (r, s) => {
      if (!context.has(r, s)) all = false;
    });
    return all;
  }
}
