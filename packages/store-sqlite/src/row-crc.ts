import { crc32 } from "node:zlib";

const text = new TextEncoder();

/**
 * The checksum of one stored row: CRC-32 (IEEE) over its table, document, position and bytes —
 * the same function as `rowChecksum` of `@converge/sync` (a test holds them equal), computed with
 * Node's native `zlib.crc32` so the worker thread need not load the sync package.
 */
export function rowCrc(table: string, doc: number, position: number | string, bytes: Uint8Array): number {
  return crc32(bytes, crc32(text.encode(`${table}\u0000${doc}\u0000${position}\u0000`)));
}
