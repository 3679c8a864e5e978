// replicaId and REPLICA_IDS: fixed replica (node) ids for tests.

/** The replica id of `n`: `n` in 16 lowercase hex digits. */
export function replicaId(n: number): string {
  return n.toString(16).padStart(16, "0");
}

/** Four fixed replica ids, in increasing order. */
export const REPLICA_IDS: readonly string[] = [
  "00000000000000a1",
  "00000000000000b2",
  "00000000000000c3",
  "00000000000000d4",
];
