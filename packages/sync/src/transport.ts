/**
 * A transport carries whole frames between two endpoints, in order, without loss while it is
 * open (a WebSocket, a BroadcastChannel, a pipe in memory). It does not reconnect: a closed
 * transport stays closed, and the sync session dials a new one.
 *
 * Laws every transport keeps (checked by `runTransportTests` in `@converge/sync/testing`):
 * - frames sent on one end arrive on the other end whole, once, in the order sent, while both
 *   ends are open; bytes are copied (the sender may reuse its buffer after `send` returns);
 * - `send` never throws; after close it drops the frame;
 * - `close` is idempotent; closing either end fires `onClose` exactly once on each end, with the
 *   code and reason given by the end that closed (or a transport-specific code when the link
 *   failed); after it, no more frames are delivered;
 * - listeners added after close are never called; `onFrame`/`onClose` return their unsubscribe;
 * - its functions are called as methods — of the transport, or of an object spread from it (a
 *   wrapper's base: `{ ...transport, send }`), which works as the transport. A transport may share
 *   one set of functions among all its connections and find its own state through `this` (the
 *   WebSocket server's does: no closures per connection), so do not call them detached.
 */
export interface Transport {
  /** Queues one frame for the other end. Never throws; dropped once the transport is closed. */
  readonly send: (frame: Uint8Array) => void;
  /** Listens to frames from the other end; returns the unsubscribe function. */
  readonly onFrame: (listener: (frame: Uint8Array) => void) => () => void;
  /** Listens to the close (either end, or a failed link); returns the unsubscribe function. */
  readonly onClose: (listener: (info: CloseInfo) => void) => () => void;
  /** Closes both directions. `code` is one of {@link CloseCode} or a transport's own (4000–4999). */
  readonly close: (code?: number, reason?: string) => void;
  /** Whether frames can still be sent. */
  readonly isOpen: () => boolean;
  /**
   * Bytes handed to `send` that the transport has not yet written to the network
   * (`WebSocket.bufferedAmount`); 0 for transports that do not buffer. Backpressure reads it.
   */
  readonly pendingBytes: () => number;
}

/** Why a transport closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** True when this end called `close`. */
  readonly local: boolean;
}

/**
 * Opens a new transport to the same peer (used by a session for every connection attempt).
 * Resolves once the transport is open; rejects when the attempt fails. An aborted `signal`
 * means the session gave up on the attempt: close whatever was opened.
 */
export type Dialer = (signal: AbortSignal) => Promise<Transport>;

/**
 * Close codes used by converge, in the WebSocket range reserved for applications (4000–4999),
 * so a WebSocket transport can pass them through unchanged. 1000 is a normal close.
 */
export const CloseCode = {
  /** Normal close, nothing wrong. */
  NORMAL: 1000,
  /** The peer sent a frame that could not be decoded (`FRAME_MALFORMED`). */
  MALFORMED: 4400,
  /** The handshake was refused: bad or expired credentials (`UNAUTHORIZED`). */
  UNAUTHORIZED: 4401,
  /** The principal may not open this document (`FORBIDDEN`). */
  FORBIDDEN: 4403,
  /** No handshake within the server's timeout. */
  HANDSHAKE_TIMEOUT: 4408,
  /** Rules differ from the document's (`CONFIG_MISMATCH`). */
  CONFIG_MISMATCH: 4409,
  /** A frame larger than the limit (`FRAME_TOO_LARGE`). */
  FRAME_TOO_LARGE: 4413,
  /** Protocol or payload format the other end does not speak (`UPGRADE_REQUIRED`). */
  UPGRADE_REQUIRED: 4426,
  /** Too many frames or bytes per second, or too many connections (`RATE_LIMITED`). */
  RATE_LIMITED: 4429,
  /** The server is shutting down; reconnect later. */
  GOING_AWAY: 4503,
  /** The link failed without a close handshake (reset, timeout, black hole). */
  LINK_LOST: 4000,
} as const;

/** One of {@link CloseCode}'s values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
