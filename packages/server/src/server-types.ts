import type { DocumentConfig, HostOptions, SyncHost } from "@converge/sync";
import type { MemoryMetrics } from "./memory-metrics.ts";
import type { RulesFile } from "./rules-file.ts";

/** Options of `createServer`. */
export interface ServerOptions
  extends Pick<
    HostOptions,
    | "authenticate"
    | "authorize"
    | "onChange"
    | "store"
    | "limits"
    | "metrics"
    | "timers"
    | "hub"
    | "hubDigestMs"
  > {
  /** TCP port; 0 (the default) picks a free one, reported as `server.port`. */
  readonly port?: number;
  /** Address to listen on (default `127.0.0.1`: local only; `0.0.0.0` for every interface). */
  readonly host?: string;
  /** The URL path WebSocket upgrades must use (default `/sync`); others are refused with 404. */
  readonly path?: string;
  /**
   * The documents: a function (name → config, undefined when there is no such document) or a
   * record of names to configs (`documentRules` of `@converge/rules` makes a config from JSON
   * rules). Exactly one of `documents`, `rules` and `rulesFile`.
   */
  readonly documents?: HostOptions["documents"] | Readonly<Record<string, DocumentConfig>>;
  /**
   * Every this many ms each WebSocket is pinged; one that has not answered since the previous
   * ping is dropped (a half-open connection). Default 30 000; 0 turns heartbeats off.
   */
  readonly heartbeatMs?: number;
  /** A parsed rules file (see `RulesFile`). */
  readonly rules?: RulesFile;
  /** Path of a rules file (see `RulesFile`); read once, when the server starts. */
  readonly rulesFile?: string;
}

/** A running server. */
export interface ConvergeServer {
  /** The port it listens on (the chosen one when `port` was 0). */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** `ws://host:port/path`: where clients connect. */
  readonly url: string;
  /** The sync host behind it (documents, stats). */
  readonly sync: SyncHost;
  /** What `GET /metrics` renders (every measurement, also those passed on to `options.metrics`). */
  readonly metrics: MemoryMetrics;
  /**
   * Stops accepting connections, closes every client with GOING_AWAY (they reconnect elsewhere or
   * later), closes the host and its store, then the HTTP server. Idempotent.
   */
  readonly close: () => Promise<void>;
}
