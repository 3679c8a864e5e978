// newer: the order in which a readsNewest register picks the value it reads.
import type { ReplicaId } from "../version-vector.ts";

/**
 * Whether a write stamped (`wallA`, `counterA`) by `replicaA` is newer than one stamped
 * (`wallB`, `counterB`) by `replicaB`: HLC order (wall time, then counter), the larger replica id
 * breaking a tie — the order in which a `readsNewest` register (lww) reads its newest value.
 */
export function newer(
  wallA: number,
  counterA: number,
  replicaA: ReplicaId,
  wallB: number,
  counterB: number,
  replicaB: ReplicaId,
): boolean {
  if (wallA !== wallB) return wallA > wallB;
  if (counterA !== counterB) return counterA > counterB;
  return replicaA > replicaB;
}
