/**
 * Messages larger than one stream entry travel as parts: consecutive entries of one sender, each
 * with a part field `p` = `"<message> <index> <count>"` (ASCII decimal) beside `f` and `b`.
 * A message that fits one entry has no `p`, the layout hubs that predate parts read.
 */

/** A part's header, parsed; undefined when the field is not one. */
export interface PartHeader {
  readonly message: number;
  readonly index: number;
  readonly count: number;
}

const PART = /^(\d{1,15}) (\d{1,9}) (\d{1,9})$/;

/** Reads a part field. */
export function parsePart(field: Uint8Array): PartHeader | undefined {
  const m = PART.exec(Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString("latin1"));
  if (m === null) return undefined;
  const [message, index, count] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return count >= 2 && index < count ? { message, index, count } : undefined;
}

/** The part field of part `index` of `count` of message number `message`. */
export const partField = (message: number, index: number, count: number): string =>
  `${message} ${index} ${count}`;

/** `bytes` cut into pieces of at most `max` bytes (views, no copy); one piece when it fits. */
export function splitBytes(bytes: Buffer, max: number): Buffer[] {
  if (bytes.length <= max) return [bytes];
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += max)
    out.push(bytes.subarray(at, Math.min(at + max, bytes.length)));
  return out;
}

interface Assembly {
  readonly message: number;
  readonly count: number;
  next: number;
  bytes: number;
  readonly parts: Uint8Array[];
}

/** What a part did: nothing yet, completed a message, or showed that a message was lost. */
export type PartOutcome =
  | { readonly kind: "partial" }
  | { readonly kind: "whole"; readonly bytes: Uint8Array }
  | { readonly kind: "lost"; readonly why: string };

const PARTIAL: PartOutcome = Object.freeze({ kind: "partial" });

/**
 * Puts parts back together, one message in progress per source (a sender on one stream). Parts
 * of a message arrive in order or not at all: a part that is not the next one expected (its
 * first part trimmed away, a part missing, a new message before the last one ended), or a message
 * larger than `maxBytes`, is reported lost — the caller turns that into a gap, so the host
 * catches up from a peer instead of waiting for a message that will never be whole.
 */
export class PartAssembler {
  readonly #maxBytes: number;
  readonly #open = new Map<string, Assembly>();

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one part from `source`. */
  add(source: string, part: PartHeader, bytes: Uint8Array): PartOutcome {
    const current = this.#open.get(source);
    if (part.index === 0) {
      const fresh: Assembly = {
        message: part.message,
        count: part.count,
        next: 1,
        bytes: bytes.length,
        parts: [bytes],
      };
      this.#open.set(source, fresh);
      return current === undefined ? PARTIAL : { kind: "lost", why: "a message ended before its last part" };
    }
    if (
      current === undefined ||
      current.message !== part.message ||
      current.count !== part.count ||
      current.next !== part.index
    ) {
      this.#open.delete(source);
      return { kind: "lost", why: `part ${part.index} of ${part.count} without the parts before it` };
    }
    current.next++;
    current.bytes += bytes.length;
    if (current.bytes > this.#maxBytes) {
      this.#open.delete(source);
      return { kind: "lost", why: `a message passes ${this.#maxBytes} bytes` };
    }
    current.parts.push(bytes);
    if (current.next < current.count) return PARTIAL;
    this.#open.delete(source);
    const out = new Uint8Array(current.bytes);
    let at = 0;
    for (const p of current.parts) {
      out.set(p, at);
      at += p.length;
    }
    return { kind: "whole", bytes: out };
  }

  /** A single-entry message from `source`: the message it had in progress, if one, is lost. */
  single(source: string): boolean {
    return this.#open.delete(source);
  }

  /** Forgets every message in progress (the hub went down; streams are sought again). */
  clear(): void {
    this.#open.clear();
  }
}
