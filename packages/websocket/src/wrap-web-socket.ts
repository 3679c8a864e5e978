import { ConfigError } from "@converge/hlc";
import { CloseCode, type CloseInfo, type Transport, TransportListeners } from "@converge/sync";

const OPEN = 1;
const MAX_REASON_BYTES = 123;

/**
 * The close code a transport reports for a WebSocket close code: a close without handshake
 * (1006) is `LINK_LOST`, "message too big" (1009) is `FRAME_TOO_LARGE`, "going away" (1001) is
 * `GOING_AWAY`, "no status" (1005) is a normal close (1000); every other code passes through.
 */
export function closeCodeOf(wire: number): number {
  switch (wire) {
    case 1006:
      return CloseCode.LINK_LOST;
    case 1009:
      return CloseCode.FRAME_TOO_LARGE;
    case 1001:
      return CloseCode.GOING_AWAY;
    case 1005:
      return CloseCode.NORMAL;
    default:
      return wire;
  }
}

/** The code a close frame may carry for `code`: 1000 or one in 3000–4999, else 1000. */
export function wireCode(code: number): number {
  return code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999) ? code : 1000;
}

/** A reason cut to the 123 UTF-8 bytes a close frame carries, on a character boundary. */
export function wireReason(reason: string): string {
  // encodeInto stops before a character that does not fit whole; `read` counts what did.
  const { read } = new TextEncoder().encodeInto(reason, new Uint8Array(MAX_REASON_BYTES));
  return reason.slice(0, read);
}

/** The frame a message event carries (binaryType is "arraybuffer"), or undefined for a text message. */
function frameOf(data: unknown): Uint8Array | undefined {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
}

/**
 * Wraps an open platform WebSocket in a {@link Transport}. Used by `webSocketTransport` and the
 * dialer; the server's side of a connection is `ServerLink` (server/server-link.ts), on ws's API.
 */
export function wrapWebSocket(socket: WebSocket): Transport {
  if (socket.readyState !== OPEN)
    throw new ConfigError(
      `webSocketTransport: the socket must be open (readyState 1), got ${socket.readyState}`,
    );
  socket.binaryType = "arraybuffer";
  const listeners = new TransportListeners();
  /** From the first close or failure: sends are dropped. */
  let closing = false;

  const finish = (info: CloseInfo): void => {
    if (listeners.ended) return;
    closing = true;
    socket.removeEventListener("message", onMessage);
    socket.removeEventListener("close", onSocketClose);
    listeners.end(info);
  };
  const close = (code: number = CloseCode.NORMAL, reason = ""): void => {
    if (closing) return;
    closing = true;
    try {
      socket.close(wireCode(code), wireReason(reason));
    } catch {
      // The socket is already closing: nothing more to send.
    }
    queueMicrotask(() => finish({ code, reason, local: true }));
  };
  const onMessage = (event: MessageEvent): void => {
    if (listeners.ended) return;
    const frame = frameOf(event.data);
    if (frame === undefined) close(CloseCode.MALFORMED, "text messages are not converge frames");
    else listeners.frame(frame);
  };
  const onSocketClose = (event: CloseEvent): void => {
    const reason =
      event.reason !== "" || event.code !== 1006 ? event.reason : "the link closed without a handshake";
    finish({ code: closeCodeOf(event.code), reason, local: false });
  };
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", onSocketClose);
  socket.addEventListener("error", () => {}); // a close event follows; ws throws on an unheard error

  return {
    send: (frame) => {
      if (closing || socket.readyState !== OPEN) return;
      try {
        socket.send(frame.slice());
      } catch {
        // Never throws: a socket that fails here reports its close event next.
      }
    },
    onFrame: (listener) => listeners.onFrame(listener),
    onClose: (listener) => listeners.onClose(listener),
    close,
    isOpen: () => !closing && socket.readyState === OPEN,
    pendingBytes: () => Math.max(0, socket.bufferedAmount),
  };
}
