import type { Transport } from "@converge/sync";
import { wrapWebSocket } from "./wrap-web-socket.ts";

/**
 * A {@link Transport} over an already open `WebSocket` (readyState 1; else `INVALID_CONFIG`).
 * Frames travel as binary messages (`binaryType` is set to `"arraybuffer"`); a text message
 * closes the transport with `MALFORMED`. `pendingBytes()` is the socket's `bufferedAmount`.
 * `close(code, reason)` sends the code when the WebSocket API allows it (1000, 3000–4999; others
 * are sent as 1000) and the reason cut to 123 bytes; this end's `onClose` fires at once with the
 * code and reason given, the other end's on the close frame. Close codes received map to
 * converge's: 1006 (no close handshake) → `LINK_LOST`, 1009 → `FRAME_TOO_LARGE`,
 * 1001 → `GOING_AWAY`, 1005 → 1000; others pass through. Attach `onFrame` before yielding to
 * the event loop: messages that arrive with no listener are dropped.
 *
 * @example
 * const socket = new WebSocket("wss://example.com/sync");
 * socket.addEventListener("open", () => host.accept(webSocketTransport(socket)));
 */
export function webSocketTransport(socket: WebSocket): Transport {
  return wrapWebSocket(socket);
}
