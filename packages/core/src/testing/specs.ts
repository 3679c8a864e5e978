import type { Timestamp } from "@converge/hlc";
import { compareValues, type Value } from "../value.ts";
import type { ReplicaId } from "../version-vector.ts";

/**
 * One operation as the specification sees it: what it did, its clock, and which operations on
 * the same key its replica had seen when it was made.
 */
export interface SpecOp {
  /** `replica:seq`. */
  readonly id: string;
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly key: string;
  readonly kind: "set" | "increment" | "delete";
  /** The value written (`set`). */
  readonly value?: unknown;
  /** The amount added (`increment`; negative for a decrement). */
  readonly amount?: number;
  readonly time: Timestamp;
  /** Ids of the operations on this key that the op's replica had seen when it made it. */
  readonly observed: ReadonlySet<string>;
}

/** What a key should read as: absent, or present with a value. */
export type Expected = { readonly present: false } | { readonly present: true; readonly value: unknown };

/**
 * A declarative specification of a resolver: given every operation on a key that a replica has
 * seen (in no particular order), what the key must read as.
 */
export type Spec = (ops: readonly SpecOp[]) => Expected;

/** Operations that no other operation in `ops` observed (the ones still in effect). */
export function unobserved(ops: readonly SpecOp[], kinds: readonly SpecOp["kind"][]): SpecOp[] {
  const observed = new Set<string>();
  for (const o of ops) for (const id of o.observed) observed.add(id);
  return ops.filter((o) => kinds.includes(o.kind) && !observed.has(o.id));
}

function newestFirst(a: SpecOp, b: SpecOp): number {
  if (a.time.wall !== b.time.wall) return b.time.wall - a.time.wall;
  if (a.time.counter !== b.time.counter) return b.time.counter - a.time.counter;
  return a.time.node < b.time.node ? 1 : a.time.node > b.time.node ? -1 : 0;
}

/**
 * A register's specification: the live writes are the `set`s no write or delete observed; the
 * key is absent without any, and otherwise reads `resolve(liveWrites newest first)`.
 */
export function registerSpec(resolve: (live: readonly SpecOp[]) => unknown): Spec {
  return (ops) => {
    const live = unobserved(
      ops.filter((o) => o.kind !== "increment"),
      ["set"],
    ).sort(newestFirst);
    return live.length === 0 ? { present: false } : { present: true, value: resolve(live) };
  };
}

/** A counter's specification: the sum of the increments no observed delete removed; absent without any. */
export const counterSpec: Spec = (ops) => {
  const deletes = ops.filter((o) => o.kind === "delete");
  const removed = new Set<string>();
  for (const d of deletes) for (const id of d.observed) removed.add(id);
  const live = ops.filter((o) => o.kind === "increment" && !removed.has(o.id));
  if (live.length === 0) return { present: false };
  return { present: true, value: live.reduce((sum, o) => sum + (o.amount ?? 0), 0) };
};

const extreme =
  (sign: 1 | -1) =>
  (live: readonly SpecOp[]): unknown =>
    live.reduce<unknown>(
      (best, o) => (compareValues(o.value as Value, best as Value) * sign > 0 ? o.value : best),
      live[0]?.value,
    );

/** Specifications of the built-in resolvers, by resolver id. */
export const builtinSpecs: Readonly<Record<string, Spec>> = Object.freeze({
  lww: registerSpec((live) => live[0]?.value),
  mv: registerSpec((live) => live.map((o) => o.value)),
  max: registerSpec(extreme(1)),
  min: registerSpec(extreme(-1)),
  gcounter: counterSpec,
  pncounter: counterSpec,
});
