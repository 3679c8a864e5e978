/**
 * @converge/redis — a scale-out `Hub` for `@converge/sync` hosts on Redis Streams (Redis ≥ 7).
 *
 * Several `converge serve` processes serving the same documents share their hosts' messages
 * through one bounded stream per document and one inbox stream per member. Redis is fan-out,
 * never storage: every host keeps each acknowledged write in its own store, and a host that
 * missed entries (trimmed, restarted, cut off from Redis) hears `onGap` and catches up from a
 * peer. When Redis is down or slow the circuit opens: publishing fails fast with
 * `HUB_UNAVAILABLE`, hosts keep serving their own clients, and a probe closes the circuit again.
 *
 * @packageDocumentation
 */

export { redisHub } from "./redis-hub.ts";
export type { RedisHubOptions } from "./redis-hub-options.ts";
