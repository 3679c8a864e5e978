import type { Transport } from "./transport.ts";
import { TransportListeners } from "./transport-listeners.ts";

/** Options of {@link memoryTransportPair}. */
export interface MemoryTransportOptions {
  /**
   * How a sent frame reaches the other end: `"microtask"` (default, like a socket: after the
   * sender's synchronous code) or `"sync"` (inside `send`, for deterministic tests).
   */
  readonly delivery?: "microtask" | "sync";
}

/**
 * Two connected in-memory transports: what one end sends, the other receives. For tests, and
 * for a replica and a host living in the same process. A close lets the frames already sent
 * arrive first, as an orderly socket close does.
 *
 * @example
 * const [client, server] = memoryTransportPair();
 * host.accept(server);
 * const session = connect(map, { document: "shop", dial: async () => client });
 */
export function memoryTransportPair(options: MemoryTransportOptions = {}): readonly [Transport, Transport] {
  const sync = options.delivery === "sync";
  /** False from the first `close`: sends are dropped from then on. */
  let accepting = true;
  /** False once the close was delivered: nothing reaches a listener after it. */
  let delivering = true;
  const ends = [new TransportListeners(), new TransportListeners()] as const;

  const finish = (from: 0 | 1, code: number, reason: string): void => {
    if (!delivering) return;
    delivering = false;
    ends[0].end({ code, reason, local: from === 0 });
    ends[1].end({ code, reason, local: from === 1 });
  };

  const transport = (side: 0 | 1): Transport => {
    const me = ends[side];
    const peer = ends[side === 0 ? 1 : 0];
    const deliver = (frame: Uint8Array): void => {
      if (delivering) peer.frame(frame);
    };
    return {
      send: (frame) => {
        if (!accepting) return;
        const copy = frame.slice();
        if (sync) deliver(copy);
        else queueMicrotask(() => deliver(copy));
      },
      onFrame: (listener) => me.onFrame(listener),
      onClose: (listener) => me.onClose(listener),
      close: (code = 1000, reason = "") => {
        if (!accepting) return;
        accepting = false;
        if (sync) finish(side, code, reason);
        else queueMicrotask(() => finish(side, code, reason));
      },
      isOpen: () => accepting,
      pendingBytes: () => 0,
    };
  };

  return [transport(0), transport(1)] as const;
}
