import { bytes8ToHex, type ReplicaId } from "./version-vector.ts";

/**
 * The replica id of the 8 bytes at `at` in `bytes`, as the one string instance this replica
 * holds for it: an id seen before is found from its bytes, with no hex string built.
 */
export type ReplicaInterner = (bytes: Uint8Array, at: number) => ReplicaId;

/**
 * A {@link ReplicaInterner}: ids by their 8 bytes as an 8-character key (one entry per replica
 * id met, as many as the replica's causal context knows).
 */
export function replicaInterner(): ReplicaInterner {
  const ids = new Map<string, ReplicaId>();
  return (b, at) => {
    const key = String.fromCharCode(...b.subarray(at, at + 8));
    let id = ids.get(key);
    if (id === undefined) {
      id = bytes8ToHex(b.subarray(at, at + 8));
      ids.set(key, id);
    }
    return id;
  };
}
