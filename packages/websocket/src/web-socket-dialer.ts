import { ConfigError } from "@converge/hlc";
import type { Dialer, Transport } from "@converge/sync";
import { WebSocketError } from "./errors.ts";
import { wrapWebSocket } from "./wrap-web-socket.ts";

/** A `WebSocket` constructor: the platform's (default), or any with the same API. */
export type WebSocketConstructor = new (url: string | URL, protocols?: string | string[]) => WebSocket;

/** Options of {@link webSocketDialer}. */
export interface WebSocketDialerOptions {
  /** Subprotocols offered in the handshake. */
  readonly protocols?: string | readonly string[];
  /** How long an attempt may take to open, in ms (default 10,000). */
  readonly connectTimeoutMs?: number;
  /** The constructor to use (default `globalThis.WebSocket`: browsers, Node ≥ 22). */
  readonly WebSocket?: WebSocketConstructor;
}

/**
 * A {@link Dialer} that opens a new WebSocket to `url` for each attempt and resolves with its
 * transport (see `webSocketTransport`) once it is open. It rejects with `WEBSOCKET_CONNECT_FAILED`
 * when the socket closes before opening (refused, reset, a non-101 answer: `closeCode`) or does
 * not open within `connectTimeoutMs` (`timedOut`); an aborted signal closes the socket and
 * rejects with the signal's reason. Bad options throw `INVALID_CONFIG` when the dialer is made.
 *
 * @example
 * const session = connect(map, { document: "shop", dial: webSocketDialer("wss://example.com/sync") });
 */
export function webSocketDialer(url: string | URL, options: WebSocketDialerOptions = {}): Dialer {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || !Number.isFinite(timeoutMs))
    throw new ConfigError(
      `webSocketDialer: connectTimeoutMs must be a positive number of ms, got ${String(timeoutMs)}`,
    );
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof Ctor !== "function")
    throw new ConfigError("webSocketDialer: no global WebSocket here (Node < 22?); pass options.WebSocket");
  const protocols = typeof options.protocols === "string" ? options.protocols : options.protocols?.slice();
  const href = String(url);

  return (signal) =>
    new Promise<Transport>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let socket: WebSocket;
      try {
        socket = new Ctor(url, protocols);
      } catch (cause) {
        reject(new WebSocketError(`cannot dial ${href}: ${String(cause)}`, { url: href, cause }));
        return;
      }
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        socket.removeEventListener("open", onOpen);
        socket.removeEventListener("close", onCloseEarly);
        return true;
      };
      const giveUp = (error: unknown): void => {
        if (!settle()) return;
        try {
          socket.close();
        } catch {
          // Not open yet in some runtimes: it is dropped with the reference.
        }
        reject(error);
      };
      const onOpen = (): void => {
        if (settle()) resolve(wrapWebSocket(socket));
      };
      const onCloseEarly = (event: CloseEvent): void => {
        if (!settle()) return;
        reject(
          new WebSocketError(`${href} closed (code ${event.code}) before opening`, {
            url: href,
            closeCode: event.code,
          }),
        );
      };
      const onAbort = (): void => giveUp(signal.reason);
      const timer = setTimeout(
        () =>
          giveUp(
            new WebSocketError(`${href} did not open within ${timeoutMs} ms`, { url: href, timedOut: true }),
          ),
        timeoutMs,
      );
      socket.binaryType = "arraybuffer";
      socket.addEventListener("open", onOpen);
      socket.addEventListener("close", onCloseEarly);
      socket.addEventListener("error", () => {}); // the close event that follows says how
      signal.addEventListener("abort", onAbort, { once: true });
    });
}
