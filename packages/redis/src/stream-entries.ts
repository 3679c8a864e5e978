import { parseStreamId, type StreamId } from "./stream-id.ts";

/** One entry of an XREAD reply, fields by name (values as bytes). @internal */
export interface StreamEntry {
  readonly id: StreamId;
  readonly fields: ReadonlyMap<string, Uint8Array>;
}

/** One stream of an XREAD reply: its key (as bytes, latin1) and its entries. @internal */
export interface StreamBatch {
  readonly key: string;
  readonly entries: readonly StreamEntry[];
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/**
 * Reads an `XREAD` reply (`callBuffer`: bulk strings as Buffers) without trusting its shape:
 * anything that is not `[[key, [[id, [field, value, …]], …]], …]` (or RESP3's flat
 * `[key, entries, …]`) is skipped, entry by entry, so
 * a stream someone else writes to cannot crash the reader. Keys are returned as latin1 text (one
 * character per byte), the form the hub indexes its streams by.
 * @internal
 */
export function parseXread(reply: unknown): StreamBatch[] {
  if (!Array.isArray(reply)) return [];
  // RESP3 (ioredis's "legacy" mapping) flattens the map of streams to [key, entries, key, …].
  const pairs: unknown[] = isBytes(reply[0])
    ? Array.from({ length: Math.floor(reply.length / 2) }, (_, i) => [reply[2 * i], reply[2 * i + 1]])
    : reply;
  const batches: StreamBatch[] = [];
  for (const stream of pairs) {
    if (!Array.isArray(stream) || stream.length !== 2) continue;
    const [key, rawEntries] = stream as [unknown, unknown];
    if (!isBytes(key) || !Array.isArray(rawEntries)) continue;
    const entries: StreamEntry[] = [];
    for (const raw of rawEntries) {
      if (!Array.isArray(raw) || raw.length !== 2) continue;
      const [rawId, rawFields] = raw as [unknown, unknown];
      if (!isBytes(rawId)) continue;
      const id = parseStreamId(Buffer.from(rawId).toString("latin1"));
      if (id === undefined) continue;
      const fields = new Map<string, Uint8Array>();
      if (Array.isArray(rawFields)) {
        for (let i = 0; i + 1 < rawFields.length; i += 2) {
          const name: unknown = rawFields[i];
          const value: unknown = rawFields[i + 1];
          if (isBytes(name) && isBytes(value)) fields.set(Buffer.from(name).toString("latin1"), value);
        }
      }
      entries.push({ id, fields });
    }
    batches.push({ key: Buffer.from(key).toString("latin1"), entries });
  }
  return batches;
}

/** The `last-generated-id` of an `XINFO STREAM` reply (a flat `[name, value, …]` array). @internal */
export function lastGeneratedId(reply: unknown): StreamId | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const name: unknown = reply[i];
    const value: unknown = reply[i + 1];
    const text = (v: unknown): string | undefined =>
      typeof v === "string" ? v : isBytes(v) ? Buffer.from(v).toString("latin1") : undefined;
    if (text(name) === "last-generated-id") {
      const id = text(value);
      return id === undefined ? undefined : parseStreamId(id);
    }
  }
  return undefined;
}
