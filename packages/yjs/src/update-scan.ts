const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The index of the first byte of `bytes[start, stop)` at or above 0x80 (`stop` when none): four
 * bytes a step through an aligned word view on long runs, so the common ASCII text costs a
 * quarter of a byte loop and allocates one view.
 */
export function asciiEnd(bytes: Uint8Array, start: number, stop: number): number {
  let i = start;
  if (stop - i >= 64) {
    const lead = (4 - ((bytes.byteOffset + i) & 3)) & 3;
    for (const e = i + lead; i < e; i++) if ((bytes[i] as number) >= 0x80) return i;
    const words = (stop - i) >> 2;
    const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    let k = 0;
    while (
      k + 4 <= words &&
      (((w[k] as number) | (w[k + 1] as number) | (w[k + 2] as number) | (w[k + 3] as number)) &
        0x80808080) ===
        0
    )
      k += 4;
    while (k < words && ((w[k] as number) & 0x80808080) === 0) k++;
    i += k << 2;
  }
  while (i < stop && (bytes[i] as number) < 0x80) i++;
  return i;
}

/**
 * {@link isUtf8}, with the ASCII prefix skipped word by word ({@link asciiEnd}) and a long
 * non-ASCII rest checked by the platform's decoder (native, faster past a few dozen bytes).
 */
export function validUtf8(bytes: Uint8Array, start: number, stop: number): boolean {
  const i = asciiEnd(bytes, start, stop);
  if (i === stop) return true;
  if (stop - i < 128) return isUtf8(bytes, i, stop);
  try {
    utf8.decode(bytes.subarray(i, stop));
    return true;
  } catch {
    return false;
  }
}

/**
 * A one-pass walk over a Yjs (v1) update of plain text (allocating only word views of long ASCII
 * runs, and what the platform's UTF-8 decoder allocates to check a long non-ASCII rest): structs of
 * the kinds a text edit writes (GC, deleted content, strings), then the delete set. It answers
 * only "surely valid": `true` means `Y.decodeUpdate` parses `update` and every struct belongs to
 * `clients` (one client id, or one of a list); `false` means "not sure" (another struct kind — formats, embeds —, a varint past
 * 2^53, trailing bytes, a foreign client, a bad string), and the caller asks Yjs itself. So this
 * fast path never refuses anything and never accepts more than Yjs does.
 *
 * Text states hold every operation's update, and a full-state merge receives them all; walking
 * bytes instead of building Yjs structs (and their strings) makes that check a small part of the
 * decode.
 */
export function scanUpdate(update: Uint8Array, clients: number | readonly number[]): boolean {
  const end = update.length;
  let pos = 0;
  // Every varint: its value by uintAt (-1: refused), then pos past it by uintEnd. Plain functions
  // rather than closures over pos: no allocation per scan, and V8 inlines them.
  const clientCount = uintAt(update, pos, end);
  if (clientCount < 0) return false;
  pos = uintEnd(update, pos);
  for (let c = 0; c < clientCount; c++) {
    const structs = uintAt(update, pos, end);
    if (structs < 0) return false;
    pos = uintEnd(update, pos);
    const client = uintAt(update, pos, end);
    if (client < 0) return false;
    pos = uintEnd(update, pos);
    if (uintAt(update, pos, end) < 0) return false; // the first struct's clock
    pos = uintEnd(update, pos);
    if (structs > 0 && (typeof clients === "number" ? client !== clients : !clients.includes(client)))
      return false;
    for (let s = 0; s < structs; s++) {
      if (pos >= end) return false;
      const info = update[pos++] as number;
      const kind = info & 0x1f;
      // How many varints follow the info byte before the content: the origins' ids, or the parent.
      let ids = 0;
      if (kind === 0) {
        if (info !== 0) return false;
        ids = 1; // GC: its length
      } else if (kind !== 1 && kind !== 4) return false; // only deleted content and strings
      if ((info & 0x80) !== 0) ids += 2; // origin: client, clock
      if ((info & 0x40) !== 0) ids += 2; // right origin: client, clock
      for (let k = 0; k < ids; k++) {
        if (uintAt(update, pos, end) < 0) return false;
        pos = uintEnd(update, pos);
      }
      if (kind === 0) continue;
      if ((info & 0xc0) === 0) {
        const parentInfo = uintAt(update, pos, end);
        if (parentInfo < 0) return false;
        pos = uintEnd(update, pos);
        if (parentInfo === 1) {
          pos = stringEnd(update, pos, end); // parent: a root type's name
          if (pos < 0) return false;
        } else {
          // parent: an item's id
          for (let k = 0; k < 2; k++) {
            if (uintAt(update, pos, end) < 0) return false;
            pos = uintEnd(update, pos);
          }
        }
        if ((info & 0x20) !== 0) {
          pos = stringEnd(update, pos, end); // parentSub
          if (pos < 0) return false;
        }
      }
      if (kind === 1) {
        if (uintAt(update, pos, end) < 0) return false; // deleted content: its length
        pos = uintEnd(update, pos);
      } else {
        pos = stringEnd(update, pos, end);
        if (pos < 0) return false;
      }
    }
  }
  // The delete set: per client, ranges of (clock, length).
  const dsClients = uintAt(update, pos, end);
  if (dsClients < 0) return false;
  pos = uintEnd(update, pos);
  for (let c = 0; c < dsClients; c++) {
    if (uintAt(update, pos, end) < 0) return false; // the client
    pos = uintEnd(update, pos);
    const ranges = uintAt(update, pos, end);
    if (ranges < 0) return false;
    pos = uintEnd(update, pos);
    if (ranges > end - pos) return false;
    for (let k = 0; k < 2 * ranges; k++) {
      if (uintAt(update, pos, end) < 0) return false;
      pos = uintEnd(update, pos);
    }
  }
  return pos === end;
}

/**
 * The lib0 unsigned varint at `pos`, computed as lib0 computes it; -1 when the update ends inside
 * it, it runs past 8 bytes, or its value passes 2^53 - 1.
 */
function uintAt(update: Uint8Array, pos: number, end: number): number {
  let num = 0;
  let mult = 1;
  for (let i = 0; i < 8; i++) {
    if (pos + i >= end) return -1;
    const r = update[pos + i] as number;
    num += (r & 0x7f) * mult;
    if (r < 0x80) return num <= Number.MAX_SAFE_INTEGER ? num : -1;
    mult *= 128;
  }
  return -1;
}

/** The position after the varint at `pos`, which {@link uintAt} accepted. */
function uintEnd(update: Uint8Array, pos: number): number {
  let p = pos;
  while ((update[p] as number) >= 0x80) p++;
  return p + 1;
}

/** The position after the varint-prefixed string at `pos` when lib0's fatal decoder accepts it; else -1. */
function stringEnd(update: Uint8Array, pos: number, end: number): number {
  const n = uintAt(update, pos, end);
  if (n < 0) return -1;
  const start = uintEnd(update, pos);
  if (n > end - start) return -1;
  const stop = start + n;
  return validUtf8(update, start, stop) ? stop : -1;
}

/**
 * True when `bytes[start, stop)` is well-formed UTF-8 as the WHATWG decoder with `fatal` reads it:
 * no overlong forms, surrogates, code points past U+10FFFF, stray or missing continuation bytes.
 */
export function isUtf8(bytes: Uint8Array, start: number, stop: number): boolean {
  let i = start;
  while (i < stop) {
    // ASCII runs, four bytes at a time.
    while (
      i + 4 <= stop &&
      ((bytes[i] as number) |
        (bytes[i + 1] as number) |
        (bytes[i + 2] as number) |
        (bytes[i + 3] as number)) <
        0x80
    )
      i += 4;
    if (i >= stop) break;
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return false;
    if (stop - i <= need) return false;
    const second = bytes[i + 1] as number;
    if (second < lo || second > hi) return false;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k] as number;
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}
