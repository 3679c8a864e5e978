import type { Pack } from "./outgoing.ts";

/**
 * Wraps `pack` so the same frames are packed once: a turn relayed as a few ops queues the same
 * frame objects for every connection, and 1,000 connections would otherwise encode the same
 * batch 1,000 times. The last two packings are kept, most recent first, and one is reused when
 * the frames are the same objects in the same order; two, so the writer's connection (whose ack
 * follows the relay, a packing of its own) does not evict the one the others share. Packing is a
 * function of the frames' bytes, and frames are never written to once queued, so a reuse is
 * byte-identical to a fresh packing.
 */
export function sharedPacking(pack: Pack): Pack {
  const recent: { readonly frames: readonly Uint8Array[]; readonly writes: Uint8Array[] }[] = [];
  const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  return (frames) => {
    for (let i = 0; i < recent.length; i++) {
      const r = recent[i];
      if (r !== undefined && same(r.frames, frames)) {
        if (i > 0) recent.unshift(...recent.splice(i, 1));
        return r.writes;
      }
    }
    const writes = pack(frames);
    recent.unshift({ frames: [...frames], writes });
    if (recent.length > 2) recent.pop();
    return writes;
  };
}
