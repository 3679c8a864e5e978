import { ConvergeError } from "@converge/hlc";

/** Codes of the BroadcastChannel package's errors (docs/ERRORS.md). */
export type BroadcastChannelErrorCode = "BROADCAST_CONNECT_FAILED";

/**
 * No tab accepted a dial on the channel within the dialer's `connectTimeoutMs` (no host is
 * running, or it is busy). An aborted dial rejects with the signal's reason instead.
 */
export class BroadcastChannelError extends ConvergeError {
  override readonly code: BroadcastChannelErrorCode;
  /** The channel name dialled. */
  readonly channel: string;
  constructor(message: string, channel: string) {
    super("BROADCAST_CONNECT_FAILED", message);
    this.code = "BROADCAST_CONNECT_FAILED";
    this.channel = channel;
  }
}

declare module "@converge/hlc" {
  interface ConvergeErrorCodes extends Record<BroadcastChannelErrorCode, BroadcastChannelError> {}
}
