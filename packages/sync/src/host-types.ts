import type { KeyRulesConfig, ReplicatedMap } from "@converge/core";
import type { ConvergeError } from "@converge/hlc";
import type { Hub } from "./hub.ts";
import type { Access, RulesManifest } from "./messages.ts";
import type { MetricsSink } from "./metrics.ts";
import type { Timers } from "./session-types.ts";
import type { Store } from "./store.ts";
import type { StorePolicyOptions } from "./store-policy.ts";
import type { Transport } from "./transport.ts";

/** Who a connection authenticated as; whatever `authenticate` returns (a user id, claims). */
export type Principal = unknown;

/** What a host knows about a connection before its handshake (from the transport adapter). */
export interface ConnectionInfo {
  /** The remote address, when the transport knows it (read it during the handshake: `authenticate`). */
  readonly remote?: string | undefined;
}

/** How one document is served: its rules, and the manifest clients without rules receive. */
export interface DocumentConfig {
  readonly rules: KeyRulesConfig;
  /** Sent to clients that ask (hello without fingerprint); omit to require clients to bring rules. */
  readonly manifest?: RulesManifest;
}

/** Limits of a host; every one has a default. */
export interface HostLimits {
  /** Close a connection with no hello after this long (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** At most this many connections in the handshake at once (default 1 000); more are closed. */
  readonly maxPendingHandshakes?: number;
  /** Largest frame accepted (default 1 MiB); larger closes with FRAME_TOO_LARGE. */
  readonly maxFrameBytes?: number;
  /** Per connection, frames per second (default 1 000) and bytes per second (default 8 MiB). */
  readonly framesPerSecond?: number;
  readonly bytesPerSecond?: number;
  /**
   * Pending outgoing bytes past which the host stops streaming ops to a connection; once it
   * drains, the connection gets one delta from its acknowledged vector instead (default 4 MiB).
   */
  readonly sendQueueBytes?: number;
  /** Largest payload reassembled from chunks (default 64 MiB); larger closes with MALFORMED. */
  readonly maxPayloadBytes?: number;
}

/** Hooks and collaborators of a host. */
export interface HostOptions {
  /** The document's config, or undefined when it does not exist (refused with UNKNOWN_DOCUMENT). */
  readonly documents: (name: string) => DocumentConfig | undefined | Promise<DocumentConfig | undefined>;
  /**
   * Credentials → principal. Throw (or reject) to refuse with UNAUTHORIZED; a converge error's
   * code is kept. Default: every connection is an anonymous principal `null`.
   */
  readonly authenticate?: (
    credentials: string | null,
    info: ConnectionInfo,
  ) => Principal | Promise<Principal>;
  /** Principal × document → access. Default: write to every key. */
  readonly authorize?: (principal: Principal, document: string) => Access | Promise<Access>;
  /** Called after the host merged a client's payload into a document (not for its own loads). */
  readonly onChange?: (event: HostChangeEvent) => void;
  /** Where documents are kept; default an in-memory store. */
  readonly store?: Store;
  readonly limits?: HostLimits;
  /** When the host folds a document's log into a snapshot (see `documentKeeper`). */
  readonly storePolicy?: StorePolicyOptions;
  /**
   * How long a client replica's lease lasts after it was last seen, ms (default 30 days). When a
   * document's log folds into a snapshot the host compacts it with the pointwise minimum of the
   * live leases' vectors; a client whose vector does not cover that floor gets a reset
   * (docs/SEMANTICS.md, "Leases, compaction and reset").
   */
  readonly leaseMs?: number;
  readonly metrics?: MetricsSink;
  readonly timers?: Timers;
  /**
   * Scale-out: other hosts serving the same documents, reached through this hub. A loaded
   * document joins its channel; a client's payload is published once committed and acknowledged;
   * peers' payloads are merged, committed and relayed; digests and catch-up deltas repair what
   * the hub lost (docs/PROTOCOL.md, "Scale-out: hubs"). Hub failures never fail or delay a
   * client's write or ack. `close()` leaves the channels; the hub's owner closes the hub.
   */
  readonly hub?: Hub;
  /**
   * Anti-entropy: every this many ms each loaded document publishes a digest of its committed
   * vector, so peers find what the hub dropped (default 10 000; 0 turns it off, leaving digests
   * on load, on `onGap` and when the hub comes up).
   */
  readonly hubDigestMs?: number;
}

/** What `onChange` receives. */
export interface HostChangeEvent {
  readonly document: string;
  readonly principal: Principal;
  /** Keys whose state changed. */
  readonly keys: readonly string[];
}

/**
 * The server side of the protocol, isomorphic (no Node API): hosts many documents, each a replica
 * of its own, authenticates and authorizes connections, relays operations between them,
 * acknowledges what it merged (after its store committed it), and applies the limits.
 */
export interface SyncHost {
  /**
   * Takes an open transport; the host owns it from now on. `info` goes to `authenticate` and is
   * not kept past the handshake (a host holds thousands of idle connections).
   */
  readonly accept: (transport: Transport, info?: ConnectionInfo) => void;
  /** The host's replica of a document, loading it from the store if needed. */
  readonly document: (name: string) => Promise<ReplicatedMap>;
  /** Counts for health endpoints. */
  readonly stats: () => HostStats;
  /** Reports refusals and internal failures (never thrown into a transport's callback). */
  readonly onError: (listener: (error: ConvergeError, document: string | undefined) => void) => () => void;
  /**
   * Reports when the hub goes down (`false`: the host keeps serving and acknowledging its own
   * clients) and up again (`true`: it publishes a digest of every loaded document to catch up).
   * The gauge `hub_up` says the same. Never called without a hub. Returns an unsubscribe.
   */
  readonly onHubStatus: (listener: (up: boolean) => void) => () => void;
  /**
   * Closes every connection with GOING_AWAY, leaves the hub's channels (the hub stays open),
   * commits and closes the store. Idempotent.
   */
  readonly close: () => Promise<void>;
}

/** A host's counts. */
export interface HostStats {
  readonly connections: number;
  readonly documents: number;
  readonly pendingHandshakes: number;
}
