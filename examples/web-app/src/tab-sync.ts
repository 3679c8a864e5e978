import { acceptBroadcastChannel, broadcastChannelDialer } from "@converge/broadcast-channel";
import type { KeyRulesConfig, ReplicatedMap } from "@converge/core";
import { connect, createLocalHost, memoryStore, memoryTransportPair, type SyncSession } from "@converge/sync";

/** This tab's part in syncing with the other tabs of the browser. */
export interface TabSync {
  /** `host` while this tab relays between tabs, else `client`. */
  readonly role: () => "host" | "client";
  /** The session attaching this tab's map to the tabs' host (in this tab or another). */
  readonly session: () => SyncSession;
  readonly onChange: (listener: () => void) => void;
}

/**
 * Syncs `map` with the other tabs of this origin without any server: one tab — whichever holds
 * the Web Lock named after the channel — runs a sync host on a BroadcastChannel; every tab, the
 * host's own included, attaches its map to that host. When the host tab closes, its lock passes
 * to another tab, which starts hosting; the others reconnect to it by their dialers' retries.
 */
export function startTabSync(
  map: ReplicatedMap,
  rules: KeyRulesConfig,
  options: { readonly channel: string; readonly name: string },
): TabSync {
  let role: "host" | "client" = "client";
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of listeners) l();
  };
  const attach = (dial: Parameters<typeof connect>[1]["dial"]): SyncSession => {
    const s = connect(map, { document: "shop", dial, backoff: { initialMs: 50, maxMs: 500 } });
    s.setPresence({ name: options.name, replica: map.id });
    s.on("status", changed);
    return s;
  };
  let session = attach(broadcastChannelDialer(options.channel));

  const host = async (): Promise<void> => {
    await session.close();
    const hub = createLocalHost({ documents: () => ({ rules }), store: memoryStore() });
    const acceptor = acceptBroadcastChannel(options.channel, (transport) => hub.accept(transport));
    role = "host";
    session = attach(async () => {
      const [mine, theirs] = memoryTransportPair();
      hub.accept(theirs);
      return mine;
    });
    changed();
    // Held until the tab goes away: the lock is released with the page.
    await new Promise<never>(() => {
      void acceptor;
    });
  };
  const locks = (navigator as { locks?: LockManager }).locks;
  if (locks !== undefined) void locks.request(`converge-tabs:${options.channel}`, host);

  return {
    role: () => role,
    session: () => session,
    onChange: (listener) => {
      listeners.add(listener);
    },
  };
}
