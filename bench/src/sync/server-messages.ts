/** The systems measured side by side; each has a server adapter (servers/) and a client adapter (clients/). */
export const SYSTEMS: readonly ["converge", "hocuspocus", "y-websocket"] = [
  "converge",
  "hocuspocus",
  "y-websocket",
];

/** One of {@link SYSTEMS}. */
export type SystemId = (typeof SYSTEMS)[number];

/** Display names, as the tables print them. */
export const SYSTEM_NAMES: Readonly<Record<SystemId, string>> = {
  converge: "converge",
  hocuspocus: "Hocuspocus",
  "y-websocket": "y-websocket",
};

/** A server a child process runs: its port on 127.0.0.1, and how to stop it. */
export interface RunningServer {
  readonly port: number;
  readonly close: () => Promise<void>;
  /** Cluster servers: how many times the server's link to its peers went down (circuit opened). */
  readonly hubDowns?: () => number;
}

/** The server's own resource use, read inside its child process. */
export interface ServerStats {
  /** process.cpuUsage() user + system, µs since the child started, read before the GC below. */
  readonly cpuUs: number;
  /** The same, read after the GC: the start of a measured phase (so it does not pay for this GC). */
  readonly cpuAfterGcUs: number;
  /** Resident set size, bytes, after two full GCs. */
  readonly rss: number;
  /** V8 heap in use, bytes, after two full GCs. */
  readonly heapUsed: number;
  /** Memory outside the V8 heap held by JS objects (includes array buffers), bytes, after GC. */
  readonly external: number;
  /** {@link RunningServer.hubDowns} at the time of the read (absent for a server without a hub). */
  readonly hubDowns?: number;
}

/** Parent → child. */
export type ToChild = { readonly type: "stats"; readonly id: number } | { readonly type: "stop" };

/** Child → parent. */
export type FromChild =
  | { readonly type: "ready"; readonly port: number }
  | { readonly type: "stats"; readonly id: number; readonly stats: ServerStats }
  | { readonly type: "error"; readonly message: string };

/** Checks that `id` names a system. */
export function isSystemId(id: string): id is SystemId {
  return (SYSTEMS as readonly string[]).includes(id);
}
