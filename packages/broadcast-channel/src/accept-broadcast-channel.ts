import { ConfigError } from "@converge/hlc";
import { CloseCode, type Transport } from "@converge/sync";
import {
  channelEndpoint,
  connectionName,
  type HeartbeatOptions,
  heartbeat,
  hubName,
  randomId,
} from "./channel-endpoint.ts";

/** A tab accepting connections on a channel. */
export interface BroadcastChannelAcceptor {
  /** How many connections are open. */
  readonly connections: () => number;
  /** Stops accepting and closes every connection with `GOING_AWAY`. Idempotent. */
  readonly close: () => void;
}

/**
 * Makes this tab the host of channel `name`: every dial posted on it (by
 * `broadcastChannelDialer(name)` in any tab of the origin, this one included) gets a connection
 * of its own, handed to `onTransport` (attach listeners before returning). Run one acceptor per
 * name (e.g. the tab holding a Web Lock); with two, a dialer keeps the first that answers and
 * the other's transport closes at once with "another tab accepted first".
 *
 * @example
 * const acceptor = acceptBroadcastChannel("shop", (t) => host.accept(t));
 */
export function acceptBroadcastChannel(
  name: string,
  onTransport: (transport: Transport) => void,
  options: HeartbeatOptions = {},
): BroadcastChannelAcceptor {
  if (typeof name !== "string")
    throw new ConfigError("acceptBroadcastChannel: the channel name must be a string");
  if (typeof onTransport !== "function")
    throw new ConfigError("acceptBroadcastChannel: onTransport must be a function");
  const timing = heartbeat(options, "acceptBroadcastChannel");
  const self = randomId();
  const hub = new BroadcastChannel(hubName(name));
  const open = new Set<Transport>();
  let closed = false;
  hub.addEventListener("message", (event: MessageEvent) => {
    const m = event.data as { t?: unknown; id?: unknown } | null;
    if (closed || m?.t !== "dial" || typeof m.id !== "string" || !/^[0-9a-f]{32}$/.test(m.id)) return;
    const channel = new BroadcastChannel(connectionName(m.id));
    const transport = channelEndpoint(channel, self, m.id, timing, () => open.delete(transport));
    open.add(transport);
    channel.postMessage({ t: "accept", from: self, to: m.id });
    onTransport(transport);
  });
  return {
    connections: () => open.size,
    close: () => {
      if (closed) return;
      closed = true;
      hub.close();
      for (const t of [...open]) t.close(CloseCode.GOING_AWAY, "the host tab stopped accepting");
    },
  };
}
