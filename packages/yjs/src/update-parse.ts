import { TEXT_NAME } from "./yjs-doc.ts";

/**
 * One struct of a plain-text Yjs update: a run of `length` characters of `client` from `clock`,
 * inserted between its origins (the character it was typed after and the one it was typed
 * before; `-1` as client when absent), holding `text`, or `undefined` for deleted content.
 */
export interface TextStruct {
  readonly client: number;
  readonly clock: number;
  readonly length: number;
  readonly originClient: number;
  readonly originClock: number;
  readonly rightClient: number;
  readonly rightClock: number;
  readonly text: string | undefined;
}

/** A parsed plain-text update: its structs (grouped by client, clocks ascending) and deletions. */
export interface ParsedUpdate {
  readonly structs: readonly TextStruct[];
  /** Deleted ranges as flat triples: client, clock, length. */
  readonly deletes: readonly number[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const NAME = TEXT_NAME.charCodeAt(0);

/**
 * Parses a Yjs (v1) update into {@link ParsedUpdate} when it holds only what a plain-text edit of
 * a text key's root `Y.Text` writes: strings and deleted content whose parent is that root (named
 * by `TEXT_NAME` or implied by an origin), and a delete set. `undefined` for anything else or
 * anything unsure — formats, embeds, GC or skip structs, map entries, another root, a client block
 * repeated, an empty struct or range, a malformed byte —: the caller then asks Yjs itself. It reads
 * exactly the fields Yjs's `readClientsStructRefs` and `readDeleteSet` read, in their order.
 */
export function parseTextUpdate(update: Uint8Array): ParsedUpdate | undefined {
  const end = update.length;
  let pos = 0;
  let bad = false;
  // lib0's unsigned varint; sets `bad` (and returns 0) at the end or past 2^53 - 1. A closure over
  // `pos`, not a cursor object: a class whose instances all die is freed by a full collection,
  // and the optimised parse with it.
  const uint = (): number => {
    let num = 0;
    let mult = 1;
    for (let i = 0; i < 8 && pos < end; i++) {
      const r = update[pos++] as number;
      num += (r & 0x7f) * mult;
      if (r < 0x80) {
        if (num <= Number.MAX_SAFE_INTEGER) return num;
        break;
      }
      mult *= 128;
    }
    bad = true;
    return 0;
  };
  const structs: TextStruct[] = [];
  let seen: number[] | undefined;
  let last = -1;
  const clientCount = uint();
  for (let k = 0; k < clientCount && !bad; k++) {
    const count = uint();
    const client = uint();
    let clock = uint();
    if (bad) return undefined;
    if (k > 0) {
      // A client block repeated: Yjs keeps only the last one.
      seen ??= [last];
      if (seen.includes(client)) return undefined;
      seen.push(client);
    }
    last = client;
    for (let i = 0; i < count; i++) {
      if (pos >= end) return undefined;
      const info = update[pos++] as number;
      const kind = info & 0x1f;
      if (kind !== 1 && kind !== 4) return undefined;
      let originClient = -1;
      let originClock = 0;
      let rightClient = -1;
      let rightClock = 0;
      if ((info & 0x80) !== 0) {
        originClient = uint();
        originClock = uint();
      }
      if ((info & 0x40) !== 0) {
        rightClient = uint();
        rightClock = uint();
      }
      if ((info & 0xc0) === 0) {
        // No origin: the parent is written; only the root text, not a map entry.
        if (uint() !== 1 || (info & 0x20) !== 0) return undefined;
        if (uint() !== 1 || pos >= end || update[pos++] !== NAME) return undefined;
      }
      let length: number;
      let text: string | undefined;
      if (kind === 1) length = uint();
      else {
        const n = uint();
        if (bad || n > end - pos) return undefined;
        text = stringOf(update, pos, pos + n);
        pos += n;
        if (text === undefined) return undefined;
        length = text.length;
      }
      if (bad || length === 0) return undefined;
      structs.push({ client, clock, length, originClient, originClock, rightClient, rightClock, text });
      clock += length;
      if (clock > Number.MAX_SAFE_INTEGER) return undefined;
    }
  }
  const deletes: number[] = [];
  const dsClients = uint();
  for (let k = 0; k < dsClients && !bad; k++) {
    const client = uint();
    const ranges = uint();
    if (bad || ranges > end - pos) return undefined;
    for (let r = 0; r < ranges; r++) {
      const clock = uint();
      const length = uint();
      if (length === 0) return undefined;
      deletes.push(client, clock, length);
    }
  }
  if (bad || pos !== end) return undefined;
  return { structs, deletes };
}

/** The UTF-8 string at `bytes[start, stop)` as lib0 reads it (fatal), or `undefined`. */
function stringOf(bytes: Uint8Array, start: number, stop: number): string | undefined {
  if (stop - start <= 16) {
    let s = "";
    for (let i = start; i < stop; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) return decodeFatal(bytes, start, stop);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decodeFatal(bytes, start, stop);
}

function decodeFatal(bytes: Uint8Array, start: number, stop: number): string | undefined {
  try {
    return utf8.decode(bytes.subarray(start, stop));
  } catch {
    return undefined;
  }
}
