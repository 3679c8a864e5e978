// The register join (mergeRegister): commutative, associative, idempotent, identity-preserving.
import { clockWalk, joinClocks, normalize, sameClock } from "./key-clock.ts";
import { clockOf, type RegisterState, Sibling, Siblings, siblingsOf } from "./sibling.ts";

/**
 * The register join: keeps a sibling unless the other side has seen its dot and no longer holds
 * it, and joins the key clocks pointwise. Returns `a` or `b` itself when nothing changed.
 */
export function mergeRegister(a: RegisterState, b: RegisterState): RegisterState {
  if (a === b) return a;
  // Fast path: two lone siblings.
  if (a instanceof Sibling && b instanceof Sibling) {
    if (a.replica === b.replica) return a.seq >= b.seq ? a : b;
    const [x, y] = a.replica < b.replica ? [a, b] : [b, a];
    return new Siblings([x, y], undefined);
  }
  const ca = clockOf(a);
  const cb = clockOf(b);
  const sa = siblingsOf(a);
  const sb = siblingsOf(b);
  // The walk visits replicas in increasing order: each clock is looked up in one forward pass.
  const seqA = clockWalk(ca);
  const seqB = clockWalk(cb);
  const out: Sibling[] = [];
  let i = 0;
  let j = 0;
  // Both sibling lists are sorted by replica id; at most one sibling per replica on each side.
  while (i < sa.length || j < sb.length) {
    const x = sa[i];
    const y = sb[j];
    if (y === undefined || (x !== undefined && x.replica < y.replica)) {
      if ((x as Sibling).seq > seqB((x as Sibling).replica)) out.push(x as Sibling);
      i++;
    } else if (x === undefined || y.replica < x.replica) {
      if (y.seq > seqA(y.replica)) out.push(y);
      j++;
    } else {
      // Same replica on both sides: the higher seq is the later write of that replica.
      if (x.seq === y.seq) out.push(x);
      else if (x.seq > y.seq) {
        if (x.seq > seqB(x.replica)) out.push(x);
      } else if (y.seq > seqA(y.replica)) out.push(y);
      i++;
      j++;
    }
  }
  const clock = joinClocks(ca, cb);
  // Preserve identity when nothing changed, so callers can detect no-ops cheaply.
  if (sameClock(clock, ca) && out.length === sa.length && out.every((s, k) => s === sa[k])) return a;
  if (sameClock(clock, cb) && out.length === sb.length && out.every((s, k) => s === sb[k])) return b;
  return normalize(out, clock);
}
