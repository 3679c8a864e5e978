import { ConfigError, randomNodeId } from "@converge/hlc";
import { CloseCode, type CloseInfo, type Transport, TransportListeners } from "@converge/sync";

/** Timing of a connection's heartbeat (see the package README). */
export interface HeartbeatOptions {
  /** How often each end says it is alive, in ms (default 1000). */
  readonly heartbeatMs?: number;
  /** Silence after which the peer is taken for gone and the transport closes with `LINK_LOST`, in ms (default 10,000). */
  readonly timeoutMs?: number;
}

/** What travels on a connection's own channel. */
export type WireMessage =
  | { readonly t: "accept"; readonly from: string; readonly to: string }
  | {
      readonly t: "frame";
      readonly from: string;
      readonly to: string;
      readonly seq: number;
      readonly data: Uint8Array;
    }
  | { readonly t: "ping"; readonly from: string; readonly to: string }
  | {
      readonly t: "close";
      readonly from: string;
      readonly to: string;
      readonly code: number;
      readonly reason: string;
    };

/** The hub channel of `name`, where dials are posted. */
export const hubName = (name: string): string => `converge-hub:${name}`;
/** The channel one connection's messages travel on. */
export const connectionName = (id: string): string => `converge-conn:${id}`;

/** A random 128-bit id in hex: two random 64-bit node ids. */
export const randomId = (): string => randomNodeId() + randomNodeId();

/** `value` (option `name` of `who`), checked to be a positive number of ms. @throws ConfigError */
export function positiveMs(who: string, name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value))
    throw new ConfigError(`${who}: ${name} must be a positive number of ms, got ${String(value)}`);
  return value;
}

/** Checked heartbeat timing. */
export function heartbeat(options: HeartbeatOptions, who: string): { every: number; timeout: number } {
  const every = positiveMs(who, "heartbeatMs", options.heartbeatMs ?? 1000);
  const timeout = positiveMs(who, "timeoutMs", options.timeoutMs ?? 10_000);
  if (timeout <= every)
    throw new ConfigError(`${who}: timeoutMs (${timeout}) must be longer than heartbeatMs (${every})`);
  return { every, timeout };
}

/** Whether a message event's data is addressed to `self` by `peer`. */
function addressed(data: unknown, self: string, peer: string): data is WireMessage {
  if (typeof data !== "object" || data === null) return false;
  const m = data as { from?: unknown; to?: unknown };
  return m.to === self && m.from === peer;
}

/**
 * One end of a connection over its own channel: frames numbered in order (a gap or a reordering
 * closes with `LINK_LOST`, since a BroadcastChannel never reorders one sender's messages), a close
 * message to the peer, and a heartbeat that closes with `LINK_LOST` after `timeout` ms of silence.
 * Owns `channel` and closes it when the transport closes.
 */
export function channelEndpoint(
  channel: BroadcastChannel,
  self: string,
  peer: string,
  timing: { readonly every: number; readonly timeout: number },
  onFinish: () => void = () => {},
): Transport {
  const listeners = new TransportListeners();
  let closing = false;
  let sent = 0;
  let expected = 0;
  /** Heartbeat ticks since the peer was last heard. */
  let silentTicks = 0;

  const post = (message: WireMessage): void => {
    try {
      channel.postMessage(message);
    } catch {
      // A closed channel: the heartbeat on the other end notices.
    }
  };
  const finish = (info: CloseInfo): void => {
    if (listeners.ended) return;
    closing = true;
    clearInterval(timer);
    channel.removeEventListener("message", onMessage);
    channel.close();
    onFinish();
    listeners.end(info);
  };
  /** Ends the connection from this side for a reason of the link: tells the peer, reports non-local. */
  const lose = (code: number, reason: string): void => {
    if (listeners.ended) return;
    post({ t: "close", from: self, to: peer, code, reason });
    finish({ code, reason, local: false });
  };
  const onMessage = (event: MessageEvent): void => {
    const message: unknown = event.data;
    if (listeners.ended || !addressed(message, self, peer)) return;
    silentTicks = 0;
    switch (message.t) {
      case "frame":
        if (message.seq !== expected || !(message.data instanceof Uint8Array)) {
          lose(CloseCode.LINK_LOST, `frame ${String(message.seq)} arrived where ${expected} was due`);
          return;
        }
        expected++;
        listeners.frame(message.data);
        return;
      case "close":
        finish({ code: message.code, reason: message.reason, local: false });
        return;
      default:
        return; // ping, or a repeated accept
    }
  };
  channel.addEventListener("message", onMessage);
  const timer = setInterval(() => {
    silentTicks++;
    if (silentTicks * timing.every >= timing.timeout) {
      lose(CloseCode.LINK_LOST, `no word from the other tab for ${timing.timeout} ms`);
      return;
    }
    post({ t: "ping", from: self, to: peer });
  }, timing.every);

  return {
    send: (frame) => {
      if (closing) return;
      post({ t: "frame", from: self, to: peer, seq: sent++, data: frame.slice() });
    },
    onFrame: (listener) => listeners.onFrame(listener),
    onClose: (listener) => listeners.onClose(listener),
    close: (code = CloseCode.NORMAL, reason = "") => {
      if (closing) return;
      closing = true;
      post({ t: "close", from: self, to: peer, code, reason });
      queueMicrotask(() => finish({ code, reason, local: true }));
    },
    isOpen: () => !closing,
    pendingBytes: () => 0,
  };
}
