/**
 * How several hosts serving the same documents reach each other (scale-out). A hub moves opaque
 * bytes between the hosts of one document; what the bytes mean (payloads, digests, catch-up
 * deltas) is the host's business, encoded by the sync package. A hub is fan-out, never storage:
 * each host keeps every acknowledged write in its own store, and a host that missed messages
 * catches up by a delta from a peer, so a hub may drop, trim and reorder freely.
 *
 * Adapters: `memoryHubNetwork` (hosts in one process, for tests and embedding) and `@converge/redis`
 * (Redis Streams). Both pass `runHubTests` from `@converge/sync/testing`.
 */
export interface Hub {
  /**
   * This member's id, unique among the hosts on the hub for as long as it runs (a fresh one per
   * process start, so a restarted host is a new member).
   */
  readonly id: string;
  /**
   * Joins a document's channel: from now on messages other members publish to it, or send to
   * this member on it, reach `handlers.onMessage`. A member never receives its own messages.
   * Joining a document already joined rejects with a `ConfigError`.
   */
  readonly join: (document: string, handlers: HubHandlers) => Promise<HubChannel>;
  /** Whether the hub can reach its peers now (false while the circuit is open). */
  readonly isUp: () => boolean;
  /** Reports when the hub goes down (circuit opens) and up again; returns an unsubscribe. */
  readonly onStatus: (listener: (up: boolean) => void) => () => void;
  /** Leaves every channel and releases the connection. Idempotent. */
  readonly close: () => Promise<void>;
}

/** What a member hears on a document's channel. */
export interface HubHandlers {
  /** A message from member `from`, published to every member or sent to this one alone. */
  readonly onMessage: (from: string, bytes: Uint8Array) => void;
  /**
   * The hub may have lost messages for this member (a trimmed stream, a reconnect, a restart):
   * the host should compare its state with its peers'. Called at most once per such event.
   */
  readonly onGap: () => void;
}

/** One joined document's channel. */
export interface HubChannel {
  /**
   * Sends to every other member of the document. Resolves once the hub took it; rejects with a
   * `SyncError` `HUB_UNAVAILABLE` when the hub is down (the caller has already made the write
   * durable, so nothing is lost: peers catch up later).
   */
  readonly publish: (bytes: Uint8Array) => Promise<void>;
  /** Sends to one member; same outcomes as `publish`. Sending to a member that left is a no-op. */
  readonly sendTo: (member: string, bytes: Uint8Array) => Promise<void>;
  /** Stops receiving this document's messages. Idempotent. */
  readonly leave: () => Promise<void>;
}
