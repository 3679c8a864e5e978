// hex: lowercase hex of bytes, for readable byte-equality failures.

/** The bytes as lowercase hex, two digits each. */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
