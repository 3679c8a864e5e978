import type { Dialer, Transport } from "@converge/sync";

/**
 * Wraps a dialer so that the browser's own idea of being online decides: while
 * `navigator.onLine` is false no attempt is made (the session backs off and retries), and the
 * `offline` event closes the open connection at once — a socket would otherwise linger until a
 * heartbeat noticed. The `online` event needs nothing: the session's next retry dials.
 */
export function onlineAwareDialer(dial: Dialer): Dialer {
  let current: Transport | undefined;
  addEventListener("offline", () => current?.close(4000, "the browser went offline"));
  return async (signal) => {
    if (!navigator.onLine) throw new Error("the browser is offline");
    const transport = await dial(signal);
    current = transport;
    transport.onClose(() => {
      if (current === transport) current = undefined;
    });
    return transport;
  };
}
