import { createClock, isConvergeError, type Timestamp } from "@converge/hlc";
import fc from "fast-check";
import type { AnyResolver } from "../key-rules.ts";
import type { Stamp } from "../resolver.ts";

/** One step of a single-key history over several replicas. */
export type HistoryStep =
  | { readonly kind: "set"; readonly replica: number; readonly value: unknown }
  | { readonly kind: "increment"; readonly replica: number; readonly amount: number }
  | { readonly kind: "delete"; readonly replica: number }
  | { readonly kind: "sync"; readonly from: number; readonly to: number }
  | { readonly kind: "tick"; readonly ms: number };

/** Node id of the i-th simulated replica. */
export function replicaNode(i: number): string {
  return (i + 1).toString(16).padStart(16, "0");
}

/** Start of simulated time: fixed, in the past, so no clock ever sees it as far-future. */
export const SIMULATED_EPOCH = 1_764_000_000_000;

/** Arbitrary histories for `resolver` over `replicas` replicas. */
export function historyArb(
  resolver: AnyResolver,
  replicas: number,
  maxSteps: number,
  values: fc.Arbitrary<unknown>,
  amounts: fc.Arbitrary<number>,
): fc.Arbitrary<HistoryStep[]> {
  const r = fc.nat(replicas - 1);
  const steps: fc.Arbitrary<HistoryStep>[] = [
    fc.record({ kind: fc.constant("delete" as const), replica: r }),
    fc.record({ kind: fc.constant("sync" as const), from: r, to: r }),
    fc.record({ kind: fc.constant("sync" as const), from: r, to: r }),
    fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 3 }) }),
  ];
  if (resolver.set !== undefined) {
    steps.push(fc.record({ kind: fc.constant("set" as const), replica: r, value: values }));
    steps.push(fc.record({ kind: fc.constant("set" as const), replica: r, value: values }));
  }
  if (resolver.increment !== undefined) {
    steps.push(fc.record({ kind: fc.constant("increment" as const), replica: r, amount: amounts }));
    steps.push(fc.record({ kind: fc.constant("increment" as const), replica: r, amount: amounts }));
  }
  return fc.array(fc.oneof(...steps), { maxLength: maxSteps });
}

/** What running a history produced. */
export interface HistoryRun {
  /** Every state any replica held after a step, in order. */
  readonly states: readonly unknown[];
  /** Each replica's final state (undefined when it never had one). */
  readonly finals: readonly unknown[];
  /** Each local operation's state before and after it. */
  readonly transitions: readonly (readonly [unknown, unknown])[];
}

/**
 * Runs a history against the resolver's own functions: each replica holds one key's state, local
 * operations are stamped by a real HLC on a shared simulated clock (so concurrent operations
 * often share wall time and counter), syncs merge one replica's state into another's. An
 * operation the resolver refuses with a converge error (e.g. a gcounter decrement) is skipped.
 */
export function runHistory(
  resolver: AnyResolver,
  replicas: number,
  steps: readonly HistoryStep[],
): HistoryRun {
  let now = SIMULATED_EPOCH;
  const clocks = Array.from({ length: replicas }, (_, i) =>
    createClock({ node: replicaNode(i), now: () => now, maxDrift: Number.POSITIVE_INFINITY }),
  );
  const seqs = new Array<number>(replicas).fill(0);
  const finals = new Array<unknown>(replicas).fill(undefined);
  const states: unknown[] = [];
  const transitions: (readonly [unknown, unknown])[] = [];
  const stamp = (i: number): Stamp => {
    const clock = clocks[i];
    if (clock === undefined) throw new RangeError(`no replica ${i}`);
    return { replica: clock.node, seq: (seqs[i] as number) + 1, time: clock.tick() };
  };
  for (const step of steps) {
    if (step.kind === "tick") {
      now += step.ms;
      continue;
    }
    if (step.kind === "sync") {
      const from = finals[step.from];
      if (step.from === step.to || from === undefined) continue;
      const to = finals[step.to];
      const times: Timestamp[] = resolver.conflicts(from).map((c) => c.time);
      clocks[step.to]?.observeBatch(times);
      const merged = to === undefined ? from : resolver.merge(to, from);
      finals[step.to] = merged;
      states.push(merged);
      continue;
    }
    const i = step.replica;
    const before = finals[i];
    let after: unknown;
    try {
      const s = stamp(i);
      if (step.kind === "set") {
        if (resolver.set === undefined) continue;
        after = resolver.set(before, step.value, s);
      } else if (step.kind === "increment") {
        if (resolver.increment === undefined) continue;
        after = resolver.increment(before, step.amount, s);
      } else {
        if (before === undefined || !resolver.exists(before)) continue;
        after = resolver.remove(before, s);
      }
      seqs[i] = s.seq;
    } catch (e) {
      if (isConvergeError(e)) continue;
      throw e;
    }
    finals[i] = after;
    states.push(after);
    transitions.push([before, after]);
  }
  return { states, finals, transitions };
}
