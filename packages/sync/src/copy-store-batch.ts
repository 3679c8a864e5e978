import type { StoreBatch } from "./store.ts";

/**
 * A deep copy of `batch` (every byte array copied): what a store adapter that commits later
 * keeps, so the caller may reuse its buffers as soon as `commit` returns (a `Store` law).
 */
export function copyStoreBatch(batch: StoreBatch): StoreBatch {
  const c = (b: Uint8Array): Uint8Array => new Uint8Array(b);
  return {
    ...(batch.snapshot !== undefined ? { snapshot: c(batch.snapshot) } : {}),
    ...(batch.append !== undefined ? { append: batch.append.map(c) } : {}),
    ...(batch.outboxAdd !== undefined
      ? { outboxAdd: batch.outboxAdd.map((e) => ({ seq: e.seq, op: c(e.op) })) }
      : {}),
    ...(batch.outboxAckedUpTo !== undefined ? { outboxAckedUpTo: batch.outboxAckedUpTo } : {}),
    ...(batch.peers !== undefined
      ? { peers: batch.peers.map((p) => ({ peer: p.peer, vector: c(p.vector), seenAt: p.seenAt })) }
      : {}),
    ...(batch.removePeers !== undefined ? { removePeers: [...batch.removePeers] } : {}),
  };
}
