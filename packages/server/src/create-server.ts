import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { ConfigError } from "@converge/hlc";
import { CloseCode, createSyncHost, type DocumentConfig, type HostOptions } from "@converge/sync";
import { acceptWebSockets, type WebSocketAcceptor } from "@converge/websocket/server";
import { memoryMetrics } from "./memory-metrics.ts";
import { loadRulesFile, parseRulesFile } from "./rules-file.ts";
import type { ConvergeServer, ServerOptions } from "./server-types.ts";
import { teeMetrics } from "./tee-metrics.ts";

function documentsOf(options: ServerOptions): HostOptions["documents"] {
  const given = [options.documents, options.rules, options.rulesFile].filter((x) => x !== undefined).length;
  if (given !== 1) throw new ConfigError("createServer: give exactly one of documents, rules and rulesFile");
  if (options.rulesFile !== undefined) return loadRulesFile(options.rulesFile);
  if (options.rules !== undefined) {
    return parseRulesFile(options.rules, () => {
      throw new ConfigError(
        "rules given as an object name scripts by sha256 and list their sources in scripts",
      );
    });
  }
  const documents = options.documents;
  if (typeof documents === "function") return documents;
  if (typeof documents !== "object" || documents === null) {
    throw new ConfigError(
      "createServer: documents is a function or an object of name → { rules, manifest? }",
    );
  }
  const table = new Map<string, DocumentConfig>(Object.entries(documents));
  return (name) => table.get(name);
}

function checkListen(options: ServerOptions): { port: number; host: string; path: string } {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`createServer: port is an integer in [0, 65535], got ${String(options.port)}`);
  }
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/sync";
  if (typeof host !== "string" || typeof path !== "string" || !path.startsWith("/")) {
    throw new ConfigError("createServer: host is a string and path starts with /");
  }
  return { port, host, path };
}

/**
 * Starts a converge sync server: an HTTP server whose WebSocket upgrades on `path` (default
 * `/sync`) become connections of a `SyncHost`, with `GET /healthz` (JSON: status, the host's
 * counts and `hub`: `"up"`, `"down"` or `"none"`; 503 while closing — a hub that is down does
 * not make the server unhealthy, it keeps serving its own clients) and `GET /metrics`
 * (Prometheus text). Resolves once it listens. With `hub`, it serves its documents together with
 * the other servers on that hub; `close()` leaves the hub's channels, the caller closes the hub.
 *
 * The server is a replica of every document it hosts: clients' writes merge into it, it relays
 * them to the document's other clients and acknowledges them. Documents are loaded on first use.
 *
 * @throws ConfigError (`INVALID_CONFIG`) for malformed options or rules; rejects when the port
 *   cannot be bound (Node's `EADDRINUSE`, `EACCES`).
 *
 * @example
 * const server = await createServer({ port: 0, rulesFile: "rules.json", authenticate: (token) => users.check(token) });
 * console.log(server.url); // ws://127.0.0.1:49152/sync
 * await server.close();
 */
export async function createServer(options: ServerOptions = {}): Promise<ConvergeServer> {
  const { port, host, path } = checkListen(options);
  const documents = documentsOf(options);
  const metrics = memoryMetrics();
  const sink = options.metrics === undefined ? metrics : teeMetrics(metrics, options.metrics);
  const sync = createSyncHost({
    documents,
    ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }),
    ...(options.authorize === undefined ? {} : { authorize: options.authorize }),
    ...(options.onChange === undefined ? {} : { onChange: options.onChange }),
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.timers === undefined ? {} : { timers: options.timers }),
    ...(options.hub === undefined ? {} : { hub: options.hub }),
    ...(options.hubDigestMs === undefined ? {} : { hubDigestMs: options.hubDigestMs }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    metrics: sink,
  });
  let closing = false;

  const respond = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD")
      return respond(res, 405, "text/plain", "method not allowed\n");
    if (url.pathname === "/healthz") {
      const hub = options.hub === undefined ? "none" : options.hub.isUp() ? "up" : "down";
      const body = JSON.stringify({ status: closing ? "closing" : "ok", ...sync.stats(), hub });
      return respond(res, closing ? 503 : 200, "application/json", `${body}\n`);
    }
    if (url.pathname === "/metrics") {
      const stats = sync.stats();
      metrics.gauge("connections", stats.connections);
      metrics.gauge("documents", stats.documents);
      metrics.gauge("pending_handshakes", stats.pendingHandshakes);
      return respond(res, 200, "text/plain; version=0.0.4", metrics.prometheus());
    }
    respond(res, 404, "text/plain", "not found\n");
  });
  http.on("clientError", (_error, socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await sync.close();
    throw e;
  }
  // Upgrades on other paths are refused by ws (400); a server that is closing takes none.
  const acceptor: WebSocketAcceptor = await acceptWebSockets({
    server: http,
    path,
    maxFrameBytes: options.limits?.maxFrameBytes ?? 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 30_000,
    onTransport: (transport, info) => {
      if (closing) return transport.close(CloseCode.GOING_AWAY, "the server is shutting down");
      // Read only if `authenticate` asks (the host drops the info once the connection is open).
      sync.accept(transport, {
        get remote() {
          return info.remoteAddress;
        },
      });
    },
  });
  const address = http.address();
  if (address === null || typeof address === "string") throw new Error("the HTTP server has no port");
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await sync.close();
      await acceptor.close();
      http.closeAllConnections();
      await stopped;
    })();
    return closed;
  };

  return Object.freeze({
    port: address.port,
    host,
    url: `ws://${urlHost}:${address.port}${path}`,
    sync,
    metrics,
    close,
  });
}
