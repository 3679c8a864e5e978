/**
 * @converge/websocket/server — the Node side of the WebSocket transport, over `ws`:
 * {@link acceptWebSockets} turns every incoming connection into a `Transport` for a sync host,
 * with a frame size limit and heartbeats that drop half-open connections.
 *
 * @packageDocumentation
 */

export {
  type AcceptWebSocketsOptions,
  acceptWebSockets,
  type WebSocketAcceptor,
  type WebSocketConnectionInfo,
} from "./accept-web-sockets.ts";
