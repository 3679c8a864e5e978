/**
 * A Redis stream entry id, `<ms>-<seq>`. The hub writes its entries as `0-*`, so Redis numbers
 * them 0-1, 0-2, … with no hole: an entry that is not the one right after the last one read means
 * entries were trimmed (or written by someone else) in between.
 * @internal
 */
export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
  readonly text: string;
}

/** The id before every entry. */
export const ZERO_ID: StreamId = Object.freeze({ ms: 0n, seq: 0n, text: "0-0" });

/** Parses `<ms>-<seq>`; undefined for anything else (a foreign reply). */
export function parseStreamId(text: string): StreamId | undefined {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(text);
  if (m === null) return undefined;
  return { ms: BigInt(m[1] as string), seq: BigInt(m[2] as string), text };
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareStreamIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Whether `next` is the entry `0-*` numbering puts right after `last` (nothing in between). */
export function followsDirectly(last: StreamId, next: StreamId): boolean {
  return next.ms === last.ms && next.seq === last.seq + 1n;
}
