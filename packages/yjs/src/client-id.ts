import type { ReplicaId } from "@converge/core";

/**
 * The Yjs client id a converge replica writes under: a 53-bit hash of its replica id (two 32-bit
 * FNV-1a lanes over its UTF-16 code units). Every replica derives every other replica's client
 * id, so a text's Yjs structs name their converge author without a table, and a replica keeps
 * its Yjs clock across restarts. Two replicas collide with probability about n²/2⁵⁴ (Yjs's own
 * random 32-bit ids: n²/2³³).
 */
export function clientIdOf(replica: ReplicaId): number {
  let lo = 0x811c9dc5;
  let hi = 0x050c5d1f;
  for (let i = 0; i < replica.length; i++) {
    const c = replica.charCodeAt(i);
    lo = Math.imul(lo ^ c, 0x01000193) >>> 0;
    hi = Math.imul(hi ^ c ^ (lo >>> 16), 0x01000193) >>> 0;
  }
  // 21 high bits from one lane, 32 from the other: at most 2^53 - 1, a safe integer.
  return (hi >>> 11) * 0x1_0000_0000 + lo;
}
