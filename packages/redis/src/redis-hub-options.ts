import { ConfigError } from "@converge/hlc";

/** Options of {@link redisHub}. Every duration is in milliseconds. */
export interface RedisHubOptions {
  /** The Redis to use, `redis://[user:password@]host:port[/db]` (default `redis://127.0.0.1:6379`). */
  readonly url?: string;
  /** Prefix of every key the hub writes (default `converge:`): `{prefix}doc:{document}`, `{prefix}inbox:{member}`. */
  readonly prefix?: string;
  /**
   * Bound of each document's stream: every XADD trims with `MAXLEN ~ maxLen` (default 10 000), so
   * a stream holds at most about `maxLen` plus one radix-tree node (`stream-node-max-entries`,
   * 100 by default) entries. A member that falls further behind gets `onGap` and catches up from
   * a peer.
   */
  readonly maxLen?: number;
  /** Bound of each member's inbox stream (direct messages), `MAXLEN ~` as above (default 1 000). */
  readonly inboxMaxLen?: number;
  /**
   * Expiry of a member's inbox (default 30 000): refreshed by its owner at every probe while the
   * hub is up, so the inbox of a member that died disappears after this long.
   */
  readonly inboxTtlMs?: number;
  /**
   * A command that has no reply after this long fails and opens the circuit (default 1 000). Also
   * the connect timeout.
   */
  readonly commandTimeoutMs?: number;
  /** Interval of the probe (default 500): a PING while down, a heartbeat (inbox refresh) while up. */
  readonly probeMs?: number;
  /** BLOCK of the reader's XREAD (default 5 000); joins interrupt it with CLIENT UNBLOCK. */
  readonly blockMs?: number;
  /** COUNT of the reader's XREAD: entries read per stream per call (default 500). */
  readonly readCount?: number;
  /**
   * Largest `b` field of one stream entry (default 262 144, 256 KiB). A larger message travels as
   * consecutive entries of at most this many bytes, put back together by the readers; so a
   * stream holds at most about `maxLen × maxEntryBytes` bytes and one XREAD reply at most about
   * `readCount × maxEntryBytes` per stream, whatever the documents weigh.
   */
  readonly maxEntryBytes?: number;
  /**
   * Largest message `publish` and `sendTo` take, and readers put back together (default
   * 67 108 864, 64 MiB, the host's default `maxPayloadBytes`). A larger one is refused with
   * `INVALID_VALUE` and nothing is written; a reader drops a larger one as lost (`onGap`).
   */
  readonly maxMessageBytes?: number;
  /** Told about a message handler that threw (the read loop goes on). Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** The options with every default filled in. @internal */
export interface ResolvedRedisHubOptions {
  readonly url: string;
  readonly prefix: string;
  readonly maxLen: number;
  readonly inboxMaxLen: number;
  readonly inboxTtlMs: number;
  readonly commandTimeoutMs: number;
  readonly probeMs: number;
  readonly blockMs: number;
  readonly readCount: number;
  readonly maxEntryBytes: number;
  readonly maxMessageBytes: number;
  readonly onError: (error: unknown) => void;
}

const KNOWN = new Set([
  "url",
  "prefix",
  "maxLen",
  "inboxMaxLen",
  "inboxTtlMs",
  "commandTimeoutMs",
  "probeMs",
  "blockMs",
  "readCount",
  "maxEntryBytes",
  "maxMessageBytes",
  "onError",
]);

function positive(options: Record<string, unknown>, name: string, fallback: number): number {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new ConfigError(`redisHub: ${name} must be a positive integer, not ${String(v)}`);
  }
  return v;
}

/** Checks the options (unknown names, types, ranges) and fills in the defaults. @internal */
export function resolveRedisHubOptions(options: RedisHubOptions | undefined): ResolvedRedisHubOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new ConfigError("redisHub: options must be an object");
  }
  const o = (options ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(o)) {
    if (!KNOWN.has(name)) throw new ConfigError(`redisHub: unknown option ${JSON.stringify(name)}`);
  }
  const url = o["url"] ?? "redis://127.0.0.1:6379";
  if (typeof url !== "string" || !/^rediss?:\/\//.test(url)) {
    throw new ConfigError(`redisHub: url must be a redis:// or rediss:// URL, not ${String(url)}`);
  }
  const prefix = o["prefix"] ?? "converge:";
  if (typeof prefix !== "string") throw new ConfigError("redisHub: prefix must be a string");
  const onError = o["onError"] ?? (() => {});
  if (typeof onError !== "function") throw new ConfigError("redisHub: onError must be a function");
  return {
    url,
    prefix,
    maxLen: positive(o, "maxLen", 10_000),
    inboxMaxLen: positive(o, "inboxMaxLen", 1_000),
    inboxTtlMs: positive(o, "inboxTtlMs", 30_000),
    commandTimeoutMs: positive(o, "commandTimeoutMs", 1_000),
    probeMs: positive(o, "probeMs", 500),
    blockMs: positive(o, "blockMs", 5_000),
    readCount: positive(o, "readCount", 500),
    maxEntryBytes: positive(o, "maxEntryBytes", 256 * 1024),
    maxMessageBytes: positive(o, "maxMessageBytes", 64 * 1024 * 1024),
    onError: onError as (error: unknown) => void,
  };
}
