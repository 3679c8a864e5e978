// Key clocks of register states: flat sorted [replica, seq, …] arrays, their join and normal form.
import type { ReplicaId } from "../version-vector.ts";
import { type RegisterState, type Sibling, Siblings } from "./sibling.ts";

/** The clock of a key this replica holds no entry for. */
export const NO_CLOCK: readonly (ReplicaId | number)[] = [];

/** The seq `clock` holds for `replica` (0: none). */
export function clockSeq(clock: readonly (ReplicaId | number)[], replica: ReplicaId): number {
  for (let i = 0; i < clock.length; i += 2) if (clock[i] === replica) return clock[i + 1] as number;
  return 0;
}

/**
 * {@link clockSeq} for replicas asked in increasing order (a walk over sorted siblings or clocks):
 * one forward pass over `clock` in all, where asking each alone would cost a pass per replica.
 */
export function clockWalk(clock: readonly (ReplicaId | number)[]): (replica: ReplicaId) => number {
  let k = 0;
  return (replica) => {
    while (k < clock.length && (clock[k] as ReplicaId) < replica) k += 2;
    return clock[k] === replica ? (clock[k + 1] as number) : 0;
  };
}

/** The pointwise maximum of two sorted clocks. */
export function joinClocks(
  a: readonly (ReplicaId | number)[],
  b: readonly (ReplicaId | number)[],
): (ReplicaId | number)[] {
  const out: (ReplicaId | number)[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ra = a[i] as ReplicaId | undefined;
    const rb = b[j] as ReplicaId | undefined;
    if (rb === undefined || (ra !== undefined && ra < rb)) {
      out.push(ra as ReplicaId, a[i + 1] as number);
      i += 2;
    } else if (ra === undefined || rb < ra) {
      out.push(rb, b[j + 1] as number);
      j += 2;
    } else {
      out.push(ra, Math.max(a[i + 1] as number, b[j + 1] as number));
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** Builds the smallest representation of (siblings, clock). */
export function normalize(
  siblings: readonly Sibling[],
  clock: readonly (ReplicaId | number)[],
): RegisterState {
  const only = siblings[0];
  if (siblings.length === 1 && only !== undefined && clock.length === 2 && clock[0] === only.replica)
    return only;
  return new Siblings(siblings, clock);
}

/** Whether two clocks are equal entry by entry. */
export function sameClock(a: readonly (ReplicaId | number)[], b: readonly (ReplicaId | number)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
