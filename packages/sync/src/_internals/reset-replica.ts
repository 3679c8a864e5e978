import type { ReplicatedMap } from "@converge/core";
import { type ConvergeError, isConvergeError } from "@converge/hlc";

/**
 * Replaces `map`'s state with the server's `payload` and re-applies `ops` (the replica's own
 * unacknowledged operations) on top, through core's `replaceState`. Should an op be refused, the
 * state is replaced alone and every op that core accepts is applied one by one (the refusal goes
 * to `report`). A refused `payload` throws: nothing changed.
 */
export function resetReplica(
  map: ReplicatedMap,
  payload: Uint8Array,
  ops: readonly Uint8Array[],
  report: (error: ConvergeError) => void,
): void {
  try {
    map.replaceState(payload, ops);
    return;
  } catch (e) {
    if (!isConvergeError(e) || ops.length === 0) throw e;
  }
  map.replaceState(payload);
  for (const op of ops) {
    try {
      map.apply(op);
    } catch (e) {
      if (!isConvergeError(e)) throw e;
      report(e);
    }
  }
}
