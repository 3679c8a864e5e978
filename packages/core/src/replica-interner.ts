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
    let key = "";
    for (let i = at; i < at + 8; i++) key += String.fromCharCode(b[i] as number);
    let id = ids.get(key);
    if (id === undefined) {
      id = bytes8ToHex(b, at);
      ids.set(key, id);
    }
    return id;
  };
}
