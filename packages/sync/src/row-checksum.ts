const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (IEEE) of `bytes`, continuing from `seed` (the CRC of what came before). Every stored
 * row carries one over its identity and content, so a flipped bit or a row moved to another
 * document or position is caught at load.
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

const text = new TextEncoder();

/**
 * The checksum a store adapter keeps with one record: CRC-32 over its table, document, position
 * and bytes, so a flipped bit, or a record moved to another document or position, fails at load
 * (`STORE_CORRUPT`). Shared by the SQLite and IndexedDB stores.
 */
export function rowChecksum(
  table: string,
  doc: number | string,
  position: number | string,
  bytes: Uint8Array,
): number {
  return crc32(bytes, crc32(text.encode(`${table}\u0000${doc}\u0000${position}\u0000`)));
}
