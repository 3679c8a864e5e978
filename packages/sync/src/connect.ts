import type { ReplicatedMap } from "@converge/core";
import { startSession } from "./session.ts";
import type { SessionOptions, SyncSession } from "./session-types.ts";

/**
 * Attaches `map` to a server: dials, says hello with the map's rules fingerprint and version
 * vector, sends what the server lacks as one delta from the server's vector, merges what the
 * server sends back, then streams every local operation as it happens. Local writes never wait
 * for the network: they are queued in the outbox and sent when connected.
 *
 * Guarantees:
 * - every local operation stays in the outbox until the server acknowledges a vector covering
 *   it, and after any reconnect the delta from the server's vector carries everything it lacks;
 *   payloads are idempotent, so a duplicate delivery changes nothing;
 * - after a link closes the session retries with capped exponential backoff and full jitter:
 *   attempt n waits `random() × min(maxMs, initialMs × 2ⁿ)`, reset by a welcome;
 * - refusals surface as typed errors on `error`; `CONFIG_MISMATCH`, `UPGRADE_REQUIRED`,
 *   `FORMAT_VERSION`, `UNKNOWN_DOCUMENT` and `FORBIDDEN` end the session (status `closed`),
 *   `UNAUTHORIZED` ends it unless `credentials` is a function (called again before each attempt,
 *   so a refreshed token can succeed); everything else retries.
 *
 * With a `store`, the session loads the stored outbox before its first attempt (build the map
 * itself with `loadReplica`, and pass its result as `loaded` to spare a second load), and commits
 * every local op (log + outbox), every merged payload and every acknowledgement; `whenCommitted`
 * waits for those commits. Records found damaged (`loaded.damaged`, or a store that refuses with
 * `STORE_CORRUPT`) are reported on `error` and `corrupt`, and the map is rebuilt from the server.
 *
 * When the server answers with a reset (this replica's lease expired and the server compacted
 * past its vector), the map's state is replaced by the server's with everything of its own the
 * server lacked re-applied on top (`replaceState`), the store is rewritten, and `reset` fires.
 *
 * @example
 * const session = connect(map, { document: "shop", dial: async () => webSocketTransport(url) });
 * await session.whenSynced();
 */
export function connect(map: ReplicatedMap, options: SessionOptions): SyncSession {
  return startSession({ kind: "given", map }, options);
}
