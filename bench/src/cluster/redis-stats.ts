import { Redis } from "ioredis";

/** What the bench reads from Redis around a measured phase (INFO and a scan of the keys). */
export interface RedisStats {
  /** INFO memory `used_memory`: bytes Redis holds (data, buffers, overhead). */
  readonly usedMemory: number;
  /** INFO cpu `used_cpu_user + used_cpu_sys`, µs since Redis started. */
  readonly cpuUs: number;
  /** INFO stats `total_net_input_bytes`: bytes Redis received from every client since the last reset. */
  readonly netInputBytes: number;
  /** INFO stats `total_net_output_bytes`: bytes it sent. */
  readonly netOutputBytes: number;
  /** DBSIZE: keys in the database. */
  readonly keys: number;
  /** Streams among them (`SCAN … TYPE stream`), and the sum of their XLEN. */
  readonly streams: number;
  readonly streamEntries: number;
}

/** A connection the bench uses to reset and read its private Redis. */
export interface RedisAdmin {
  /** FLUSHALL (synchronously) and CONFIG RESETSTAT: a fresh Redis between systems and runs. */
  readonly reset: () => Promise<void>;
  readonly stats: () => Promise<RedisStats>;
  /** INFO server `redis_version`. */
  readonly version: () => Promise<string>;
  readonly close: () => Promise<void>;
}

/** Parses INFO's `field:value` lines. */
export function parseInfo(text: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.indexOf(":");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

function num(info: ReadonlyMap<string, string>, field: string): number {
  const v = Number(info.get(field));
  if (!Number.isFinite(v)) throw new Error(`redis INFO: no numeric ${field}`);
  return v;
}

/** Connects to `url` (no retries: the bench's own Redis is either there or the run fails). */
export async function redisAdmin(url: string): Promise<RedisAdmin> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await redis.connect();
  return {
    reset: async () => {
      await redis.flushall("SYNC");
      await redis.config("RESETSTAT");
    },
    stats: async () => {
      const info = parseInfo(await redis.info("all"));
      const keys = await redis.dbsize();
      let streams = 0;
      let streamEntries = 0;
      let cursor = "0";
      do {
        const [next, found] = await redis.scan(cursor, "COUNT", 1000, "TYPE", "stream");
        cursor = next;
        for (const key of found) {
          streams++;
          streamEntries += await redis.xlen(key);
        }
      } while (cursor !== "0");
      return {
        usedMemory: num(info, "used_memory"),
        cpuUs: Math.round((num(info, "used_cpu_user") + num(info, "used_cpu_sys")) * 1e6),
        netInputBytes: num(info, "total_net_input_bytes"),
        netOutputBytes: num(info, "total_net_output_bytes"),
        keys,
        streams,
        streamEntries,
      };
    },
    version: async () => parseInfo(await redis.info("server")).get("redis_version") ?? "unknown",
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
