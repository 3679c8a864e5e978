import type { ReplicaId } from "@converge/core";

/**
 * One replica's newest operation on a text key: its sequence number and HLC time. A key clock is
 * a list of these, sorted by replica id, at most one per replica.
 */
export interface ClockEntry {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
}

/** An operation's identity: replica and sequence number. */
export interface Dot {
  readonly replica: ReplicaId;
  readonly seq: number;
}

/** The seq `clock` holds for `replica` (0 when none). */
export function seqOf(clock: readonly Dot[], replica: ReplicaId): number {
  for (const e of clock) if (e.replica === replica) return e.seq;
  return 0;
}

/** True when `clock` has seen `dot`. */
export function covers(clock: readonly Dot[], dot: Dot): boolean {
  return dot.seq <= seqOf(clock, dot.replica);
}

/** True when `a` has seen everything `b` has (pointwise ≥). */
export function dominates(a: readonly Dot[], b: readonly Dot[]): boolean {
  for (const e of b) if (!covers(a, e)) return false;
  return true;
}

/** Pointwise maximum of two sorted clocks; the newer entry of a replica keeps its time. */
export function joinClocks<D extends Dot>(a: readonly D[], b: readonly D[]): D[] {
  const out: D[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.replica < y.replica)) {
      out.push(x as D);
      i++;
    } else if (x === undefined || y.replica < x.replica) {
      out.push(y);
      j++;
    } else {
      out.push(x.seq >= y.seq ? x : y);
      i++;
      j++;
    }
  }
  return out;
}

/** Same dots, same order. */
export function sameDots(a: readonly Dot[], b: readonly Dot[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Dot;
    const y = b[i] as Dot;
    if (x.replica !== y.replica || x.seq !== y.seq) return false;
  }
  return true;
}

/**
 * Register-style merge of live dots (sorted, at most one per replica): a dot survives unless the
 * other side's clock has seen it and the other side no longer holds it (it was replaced by its
 * replica's later edit, or removed by a delete that saw it). Commutative, associative, idempotent.
 */
export function mergeLive(
  la: readonly Dot[],
  ca: readonly Dot[],
  lb: readonly Dot[],
  cb: readonly Dot[],
): Dot[] {
  const out: Dot[] = [];
  let i = 0;
  let j = 0;
  while (i < la.length || j < lb.length) {
    const x = la[i];
    const y = lb[j];
    if (y === undefined || (x !== undefined && x.replica < y.replica)) {
      if (!covers(cb, x as Dot)) out.push(x as Dot);
      i++;
    } else if (x === undefined || y.replica < x.replica) {
      if (!covers(ca, y)) out.push(y);
      j++;
    } else {
      if (x.seq === y.seq) out.push(x);
      else if (x.seq > y.seq) {
        if (!covers(cb, x)) out.push(x);
      } else if (!covers(ca, y)) out.push(y);
      i++;
      j++;
    }
  }
  return out;
}
