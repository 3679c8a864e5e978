/** Bytes of one arena chunk. */
const CHUNK = 16 * 1024;
/** Updates this long or longer get their own buffer. */
const OWN = 4 * 1024;

/**
 * Where decoded text entries' update bytes are copied (a payload's bytes are its caller's). One
 * typed-array buffer per entry costs an allocation outside the JS heap each, the largest part of a
 * text state's decode; an arena copies entries side by side into shared chunks instead. A chunk
 * lives while any entry in it does, so entries that a replica keeps are {@link detach}ed — copied
 * into their own buffers — before they are stored (the resolver's `forget` runs for every
 * incoming state), and a chunk only outlives the apply that filled it as garbage.
 */
export interface EntryArena {
  /** A copy of `bytes`, in the arena's current chunk (or its own buffer when long). */
  readonly copy: (bytes: Uint8Array) => Uint8Array;
}

/** A fresh {@link EntryArena}; a resolver instance holds one. */
export function createEntryArena(): EntryArena {
  let chunk = new Uint8Array(0);
  let at = 0;
  return {
    copy: (bytes) => {
      const n = bytes.length;
      if (n >= OWN) return bytes.slice();
      if (at + n > chunk.length) {
        chunk = new Uint8Array(CHUNK);
        at = 0;
      }
      chunk.set(bytes, at);
      const out = chunk.subarray(at, at + n);
      // The next copy starts 8-byte aligned: two copies of an update then compare word by word.
      at = (at + n + 7) & ~7;
      return out;
    },
  };
}

/** `update` in a buffer of its own: itself when it already is, else a copy. */
export function detach(update: Uint8Array): Uint8Array {
  return update.byteLength === update.buffer.byteLength ? update : update.slice();
}
