/**
 * One client of a measured system, driven by the scenarios: it writes keys of one map (a
 * converge ReplicatedMap, or a Y.Map named "m" for the Yjs-based peers), reports remote changes,
 * and can go offline and come back with its state.
 */
export interface BenchClient {
  /** One local write of a small value (its own update on the wire). */
  readonly write: (key: string, value: number) => void;
  /** Many writes as one local transaction (converge `batch`, Yjs `transact`). */
  readonly writeMany: (keys: readonly string[], value: (i: number) => number) => void;
  /**
   * Listens to changes that arrived from the server: `count` keys changed, `keys` lists them
   * (only called when the listener reads it).
   */
  readonly onRemote: (listener: (count: number, keys: () => Iterable<string>) => void) => void;
  /** The value of `key`, or undefined. */
  readonly get: (key: string) => unknown;
  /**
   * Local writes the server has not acknowledged yet (converge: the session's outbox; Hocuspocus:
   * the provider's unsynced changes), or null for a system without acknowledgements (y-websocket).
   */
  readonly unacknowledged: () => number | null;
  /** Whether the client is connected and has completed its handshake with the server. */
  readonly synced: () => boolean;
  /** Times the client connected after the first time (reconnects the scenario did not ask for count too). */
  readonly connects: () => number;
  /** Goes offline, keeping its state; resolves once the connection is closed. */
  readonly disconnect: () => Promise<void>;
  /** Comes back online (after {@link BenchClient.disconnect}); resolves once the connection is open. */
  readonly reconnect: () => Promise<void>;
  /** Closes for good and frees the client. */
  readonly close: () => Promise<void>;
}

/** How a scenario connects a client. */
export interface ClientOptions {
  /** `ws://127.0.0.1:PORT` (the server, or a byte proxy in front of it). */
  readonly url: string;
  readonly document: string;
  /**
   * Keep the provider's default awareness / presence (true), or clear it so only map updates
   * travel (false). The fan-out clears it: Yjs awareness renews every 15 s and is relayed to
   * every client of the document, traffic that is not the workload.
   */
  readonly presence: boolean;
}

/** Creates a client and resolves once its first sync completed (rejects after `timeoutMs`). */
export type ClientFactory = (options: ClientOptions, timeoutMs: number) => Promise<BenchClient>;
