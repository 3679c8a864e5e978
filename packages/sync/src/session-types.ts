import type { KeyRulesConfig, ReplicatedMap, Value, VersionVector } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import type { Access, RulesManifest } from "./messages.ts";
import type { MetricsSink } from "./metrics.ts";
import type { DocumentStore } from "./store.ts";
import type { LoadedReplica } from "./store-policy.ts";
import type { Dialer } from "./transport.ts";

/** Where a session is. `offline` waits for the next attempt; `closed` is final. */
export type SessionStatus = "connecting" | "syncing" | "synced" | "offline" | "closed";

/** Options of `connect`. */
export interface SessionOptions {
  /** The document's name on the server. */
  readonly document: string;
  /** Opens a transport to the server; called for every attempt. */
  readonly dial: Dialer;
  /** Credentials sent in every handshake; a function is called before each attempt (token refresh). */
  readonly credentials?: string | (() => string | Promise<string>);
  /**
   * Where the replica's state, outbox and the server's acknowledged vector are kept. Without one,
   * the outbox lives in memory and is lost with the process.
   */
  readonly store?: DocumentStore;
  /**
   * What `loadReplica` rebuilt from `store` for this session's map: the session then does not
   * load the store again, and when the records were damaged (`loaded.damaged`) it reports that
   * (`error` and `corrupt` events) and rebuilds from the server: its hello says it has nothing,
   * it takes the server's full state and re-applies the readable unacknowledged ops on top.
   */
  readonly loaded?: LoadedReplica;
  /** Reconnect backoff: `initialMs` (default 250) doubling up to `maxMs` (default 30 000), full jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Largest frame sent or accepted, bytes (default 1 MiB); larger payloads travel in chunks. */
  readonly maxFrameBytes?: number;
  /** Randomness for jitter (default Math.random); inject a seeded one in tests. */
  readonly random?: () => number;
  /** Timers (default the global ones); inject fakes in tests. */
  readonly timers?: Timers;
  readonly metrics?: MetricsSink;
}

/** The timer functions a session or host uses, injectable. */
export interface Timers {
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
  readonly now: () => number;
}

/** What a session reports. */
export interface SessionEvents {
  readonly status: (status: SessionStatus) => void;
  /** The server refused the handshake or a frame (typed: `UNAUTHORIZED`, `FORBIDDEN`, …). */
  readonly error: (error: ConvergeError) => void;
  /** The server acknowledged up to `vector` (its entry for this replica): an ack, or a welcome's committed vector. */
  readonly ack: (vector: VersionVector) => void;
  /** Another client's presence changed (`null`: it left). */
  readonly presence: (client: string, state: Value | null) => void;
  /**
   * The map's state was replaced by the server's, with the unacknowledged ops re-applied on top:
   * after a reset (`floor`: the server's compaction floor, which this replica's vector did not
   * cover because its lease had expired) or a rebuild of damaged records (`floor` undefined).
   */
  readonly reset: (floor: VersionVector | undefined) => void;
  /**
   * The store's records failed their integrity check (`STORE_CORRUPT`, also sent to `error`):
   * they are kept aside by the adapter, and the session rebuilds from the server.
   */
  readonly corrupt: (error: ConvergeError) => void;
}

/**
 * A replica attached to a server: it streams local operations, merges what arrives, keeps an
 * outbox until acknowledged, and reconnects with backoff.
 */
export interface SyncSession {
  readonly map: ReplicatedMap;
  readonly status: () => SessionStatus;
  /** What the server granted in the last handshake; `undefined` before the first. */
  readonly access: () => Access | undefined;
  /** Resolves when the session is next `synced` (at once if it is). Rejects when it closes first. */
  readonly whenSynced: () => Promise<void>;
  /** Resolves once every local operation made so far is committed to the store (at once without one). */
  readonly whenCommitted: () => Promise<void>;
  /** Number of local operations not yet acknowledged. */
  readonly outboxSize: () => number;
  /**
   * Sets this client's presence (`null` clears it); sent now and after every reconnect. The state
   * is checked and frozen as a map's values are (`toValue`).
   * @throws InvalidValueError (`INVALID_VALUE`) for anything that is not a {@link Value}; the
   *   presence is then unchanged.
   */
  readonly setPresence: (state: Value | null) => void;
  /** Other clients' presence, by client id. */
  readonly presence: () => ReadonlyMap<string, Value>;
  readonly on: <E extends keyof SessionEvents>(event: E, listener: SessionEvents[E]) => () => void;
  /** Closes the connection and stops reconnecting; commits what is pending first. Idempotent. */
  readonly close: () => Promise<void>;
}

/** Options of `openDocument`: like {@link SessionOptions}, but the rules come from the server. */
export interface OpenDocumentOptions extends SessionOptions {
  /** Builds key rules from the server's manifest (e.g. `rulesFromManifest` of `@converge/server`). */
  readonly rules: (manifest: RulesManifest) => KeyRulesConfig | Promise<KeyRulesConfig>;
}
