/**
 * @converge/websocket — WebSocket transports for `@converge/sync`.
 *
 * The root entry is isomorphic (browsers, Node ≥ 22, Deno, Bun): {@link webSocketDialer} opens a
 * platform `WebSocket` per connection attempt, {@link webSocketTransport} wraps one already open.
 * The Node-only server side, over `ws`, is `@converge/websocket/server` (`acceptWebSockets`); this
 * entry never imports it.
 *
 * @packageDocumentation
 */

export { WebSocketError, type WebSocketErrorCode } from "./errors.ts";
export {
  type WebSocketConstructor,
  type WebSocketDialerOptions,
  webSocketDialer,
} from "./web-socket-dialer.ts";
export { webSocketTransport } from "./web-socket-transport.ts";
