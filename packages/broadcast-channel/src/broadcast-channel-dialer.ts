import { ConfigError } from "@converge/hlc";
import type { Dialer, Transport } from "@converge/sync";
import {
  channelEndpoint,
  connectionName,
  type HeartbeatOptions,
  heartbeat,
  hubName,
  positiveMs,
  randomId,
  type WireMessage,
} from "./channel-endpoint.ts";
import { BroadcastChannelError } from "./errors.ts";

/** Options of {@link broadcastChannelDialer}. */
export interface BroadcastChannelDialerOptions extends HeartbeatOptions {
  /** How long a dial waits for a host to accept, in ms (default 2000). */
  readonly connectTimeoutMs?: number;
}

/**
 * A {@link Dialer} for a tab that joins the host listening on channel `name` (see
 * `acceptBroadcastChannel`). Each attempt opens a channel of its own under a random connection id,
 * posts a dial on the named channel and resolves once a host accepts; if several hosts answer,
 * the first wins and the others are told to close. Rejects with `BROADCAST_CONNECT_FAILED` when no
 * host accepts within `connectTimeoutMs`, or with the signal's reason when aborted. Bad options
 * throw `INVALID_CONFIG` when the dialer is made.
 *
 * @example
 * const session = connect(map, { document: "shop", dial: broadcastChannelDialer("shop") });
 */
export function broadcastChannelDialer(name: string, options: BroadcastChannelDialerOptions = {}): Dialer {
  if (typeof name !== "string")
    throw new ConfigError("broadcastChannelDialer: the channel name must be a string");
  const timing = heartbeat(options, "broadcastChannelDialer");
  const connectMs = positiveMs(
    "broadcastChannelDialer",
    "connectTimeoutMs",
    options.connectTimeoutMs ?? 2000,
  );

  return (signal) =>
    new Promise<Transport>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const id = randomId();
      const channel = new BroadcastChannel(connectionName(id));
      const hub = new BroadcastChannel(hubName(name));
      let host: string | undefined;
      const onMessage = (event: MessageEvent): void => {
        const m = event.data as WireMessage | null;
        if (m?.t !== "accept" || m.to !== id) return;
        if (host !== undefined) {
          // A second host answered: it lost the race.
          channel.postMessage({
            t: "close",
            from: id,
            to: m.from,
            code: 1000,
            reason: "another tab accepted first",
          });
          return;
        }
        host = m.from;
        settle();
        resolve(
          channelEndpoint(channel, id, host, timing, () => channel.removeEventListener("message", onMessage)),
        );
      };
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        hub.close();
      };
      const giveUp = (error: unknown): void => {
        settle();
        channel.removeEventListener("message", onMessage);
        channel.close();
        reject(error);
      };
      const onAbort = (): void => giveUp(signal.reason);
      const timer = setTimeout(
        () =>
          giveUp(
            new BroadcastChannelError(
              `no tab accepted on channel ${JSON.stringify(name)} within ${connectMs} ms`,
              name,
            ),
          ),
        connectMs,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      channel.addEventListener("message", onMessage);
      hub.postMessage({ t: "dial", id });
    });
}
