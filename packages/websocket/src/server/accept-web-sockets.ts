import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ConfigError } from "@converge/hlc";
import { CloseCode, type Transport } from "@converge/sync";
import { WebSocketServer, type WebSocket as WsSocket } from "ws";
import { type LinkOwner, ServerLink } from "./server-link.ts";

/** Who connected, as the HTTP upgrade request says. */
export interface WebSocketConnectionInfo {
  /**
   * The peer's IP address (`socket.remoteAddress`); behind a proxy, read `headers` too. Read from
   * the socket when first asked (Node keeps it on the socket from then on, for as long as the
   * connection lives): ask while the connection is open — once it closed, it may be undefined.
   */
  readonly remoteAddress: string | undefined;
  /** The peer's port, read the same way. */
  readonly remotePort: number | undefined;
  /** The request's path and query. */
  readonly url: string;
  /** The request's headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** Options of {@link acceptWebSockets}: exactly one of `server` and `port`. */
export interface AcceptWebSocketsOptions {
  /** An HTTP(S) server to share (its other requests are left alone); it is not closed by `close`. */
  readonly server?: Server | HttpsServer;
  /** A port to listen on with a server of its own (0: a free one; see `port` of the result). */
  readonly port?: number;
  /** The address to listen on with `port` (default: every interface, as Node does). */
  readonly host?: string;
  /** Only upgrade requests for this path are accepted (default: every path). */
  readonly path?: string;
  /** Largest frame accepted, in bytes (default 8 MiB); a larger one closes with `FRAME_TOO_LARGE`. */
  readonly maxFrameBytes?: number;
  /**
   * Every this many ms each connection is pinged; one that has not answered (pong or any frame)
   * since the previous ping is dropped with `LINK_LOST`. Default 30,000; 0 turns heartbeats off.
   */
  readonly heartbeatMs?: number;
  /** Receives each new connection's transport (attach listeners before returning). */
  readonly onTransport: (transport: Transport, info: WebSocketConnectionInfo) => void;
}

/** A running WebSocket acceptor. */
export interface WebSocketAcceptor {
  /** The port connections arrive on. */
  readonly port: number;
  /** How many connections are open. */
  readonly connections: () => number;
  /**
   * Stops accepting, closes every connection with `GOING_AWAY` ("the server is shutting down";
   * clients reconnect later), drops those that do not finish their close within a second, and
   * closes the HTTP server it made (not one passed in). Idempotent.
   */
  readonly close: () => Promise<void>;
}

const DEFAULT_MAX_FRAME = 8 * 1024 * 1024;

function positive(name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < (allowZero ? 0 : 1))
    throw new ConfigError(
      `acceptWebSockets: ${name} must be an integer ≥ ${allowZero ? 0 : 1}, got ${String(value)}`,
    );
  return value;
}

/**
 * Accepts WebSocket connections (Node, over `ws`) and hands each to `onTransport` as a
 * `Transport` (with the laws of `webSocketTransport`'s), with the peer's address. Frames above
 * `maxFrameBytes` (ws's `maxPayload`) close the connection with `FRAME_TOO_LARGE` (the client sees
 * 1009, which its transport reports as `FRAME_TOO_LARGE` too); other protocol errors close it with
 * `MALFORMED`; heartbeats drop half-open connections with `LINK_LOST`. Resolves once listening.
 * Bad options throw `INVALID_CONFIG`.
 *
 * @example
 * const acceptor = await acceptWebSockets({ port: 8080, onTransport: (t) => host.accept(t) });
 * // later: await acceptor.close();
 */
export async function acceptWebSockets(options: AcceptWebSocketsOptions): Promise<WebSocketAcceptor> {
  if (typeof options?.onTransport !== "function")
    throw new ConfigError("acceptWebSockets: onTransport must be a function");
  if ((options.server === undefined) === (options.port === undefined))
    throw new ConfigError("acceptWebSockets: give exactly one of server and port");
  const maxFrameBytes = positive("maxFrameBytes", options.maxFrameBytes ?? DEFAULT_MAX_FRAME, false);
  const heartbeatMs = positive("heartbeatMs", options.heartbeatMs ?? 30_000, true);
  const own = options.server === undefined;
  const http: Server | HttpsServer = options.server ?? createServer((_req, res) => res.writeHead(426).end());
  if (own) {
    const port = positive("port", options.port, true);
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, options.host, () => {
        http.off("error", reject);
        resolve();
      });
    });
  }
  // No client tracking (the acceptor keeps its own set) and no permessage-deflate (ws's default
  // on servers, said here because each deflating connection would hold a zlib context).
  const wss = new WebSocketServer({
    server: http,
    maxPayload: maxFrameBytes,
    clientTracking: false,
    perMessageDeflate: false,
    // Pings are answered by the link (ws's own answer costs a closure per connection).
    autoPong: false,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  const owner: LinkOwner = { maxFrameBytes, links: new Set() };
  const connections = owner.links;

  wss.on("connection", (socket: WsSocket, request: IncomingMessage) => {
    // Liveness is read from the bytes the link received (pongs and frames alike), so a
    // connection needs no listener of its own for it.
    const link = new ServerLink(socket, request.socket, owner);
    // The address is read when asked for: reading it makes Node keep it on the socket for good.
    options.onTransport(link.transport, {
      get remoteAddress() {
        return request.socket.remoteAddress;
      },
      get remotePort() {
        return request.socket.remotePort;
      },
      url: request.url ?? "/",
      headers: request.headers,
    });
  });

  const heartbeat =
    heartbeatMs === 0
      ? undefined
      : setInterval(() => {
          for (const c of connections) {
            const read = c.link.bytesRead;
            if (read === c.seen) {
              c.fail(CloseCode.LINK_LOST, `no answer to a ping within ${heartbeatMs} ms`, true);
              connections.delete(c);
              continue;
            }
            c.seen = read;
            try {
              c.socket.ping();
            } catch {
              // Closing already: its close event removes it.
            }
          }
        }, heartbeatMs);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      const gone = [...connections].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === c.socket.CLOSED) return resolve();
            c.socket.once("close", () => resolve());
            c.close(CloseCode.GOING_AWAY, "the server is shutting down");
            setTimeout(() => {
              c.socket.terminate();
              resolve();
            }, 1000).unref();
          }),
      );
      await Promise.all(gone);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (own) {
        const server = http as Server;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    })();
    return closing;
  };

  return {
    port: (http.address() as AddressInfo).port,
    connections: () => connections.size,
    close,
  };
}
