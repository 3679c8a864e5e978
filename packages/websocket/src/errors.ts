import { ConvergeError } from "@converge/hlc";

/** Codes of the WebSocket package's errors (docs/ERRORS.md). */
export type WebSocketErrorCode = "WEBSOCKET_CONNECT_FAILED";

/**
 * A WebSocket could not be opened: the connection was refused or closed before it opened
 * (`closeCode` says how, 1006 for a refused or reset connection), or it did not open within the
 * dialer's `connectTimeoutMs` (`timedOut`). A dial that was aborted rejects with the signal's
 * reason instead, as `fetch` does.
 */
export class WebSocketError extends ConvergeError {
  override readonly code: WebSocketErrorCode;
  /** The URL dialled. */
  readonly url: string;
  /** The close code the socket reported before opening, if it closed. */
  readonly closeCode: number | undefined;
  /** True when the connect timeout passed first. */
  readonly timedOut: boolean;
  constructor(
    message: string,
    details: {
      readonly url: string;
      readonly closeCode?: number;
      readonly timedOut?: boolean;
      readonly cause?: unknown;
    },
  ) {
    super(
      "WEBSOCKET_CONNECT_FAILED",
      message,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = "WEBSOCKET_CONNECT_FAILED";
    this.url = details.url;
    this.closeCode = details.closeCode;
    this.timedOut = details.timedOut ?? false;
  }
}

declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<WebSocketErrorCode, WebSocketError> {}
}
