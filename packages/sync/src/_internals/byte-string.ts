/**
 * Bytes kept as a string of one char per byte (each char code 0–255), for what is held long and
 * read rarely: a sleeping document's state, a memory store's records. V8 keeps such a string in
 * one object (about 16 B besides its bytes) where a Uint8Array costs about 250 B (the view, its
 * ArrayBuffer and the buffer's backing record), which for a host's thousands of small documents
 * is much of what each one holds. `fromByteString(toByteString(b))` equals `b`, byte for byte.
 */
export function toByteString(bytes: Uint8Array): string {
  let s = "";
  // A slice at a time: fromCharCode takes the bytes as arguments (4 ms per MiB this way).
  for (let i = 0; i < bytes.length; i += 8192)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

/** The bytes {@link toByteString} made `s` from (a fresh array). */
export function fromByteString(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
