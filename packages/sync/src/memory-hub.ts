import { ConfigError } from "@converge/hlc";
import { SyncError } from "./errors.ts";
import type { Hub, HubChannel, HubHandlers } from "./hub.ts";

/** Hosts in one process sharing documents, and a switch that takes the whole hub down. */
export interface MemoryHubNetwork {
  /** A new member of the hub (ids `m1`, `m2`, … in creation order, never reused). */
  readonly member: () => Hub;
  /**
   * Takes the hub down (`true`) or brings it up (`false`). While down every member's `isUp()` is
   * false, `publish` and `sendTo` reject with `SyncError` `HUB_UNAVAILABLE`, and messages still in
   * flight are lost. Each transition fires every member's `onStatus` listeners once; coming up,
   * every joined channel then gets `onGap` once. Setting the state it already has does nothing.
   */
  readonly setDown: (down: boolean) => void;
  /** Whether the hub is down now. */
  readonly isDown: () => boolean;
}

interface Joined {
  readonly member: string;
  readonly handlers: HubHandlers;
}

/**
 * An in-memory {@link Hub} network: hosts in one process (tests, embedding several hosts in one
 * server) reach each other through it. Delivery is asynchronous — each message reaches each
 * receiver in its own microtask, never inside the `publish` or `sendTo` call — and in publish
 * order, so per (sender, document) order is kept while the hub is up; a receiver gets its own copy
 * of the bytes, taken when they were published. A member never receives its own messages.
 * Listener exceptions are swallowed (they are the listener's own). Passes `runHubTests`.
 *
 * @example
 * const hub = memoryHubNetwork();
 * const a = createSyncHost({ documents, hub: hub.member() });
 * const b = createSyncHost({ documents, hub: hub.member() });
 * hub.setDown(true); // both keep serving their own clients; they catch up when it comes back
 */
export function memoryHubNetwork(): MemoryHubNetwork {
  /** document → member id → its handlers. */
  const channels = new Map<string, Map<string, Joined>>();
  const statusListeners = new Map<string, Set<(up: boolean) => void>>();
  let down = false;
  let members = 0;
  /** Bumped by every outage, so messages in flight when it went down are lost. */
  let epoch = 0;

  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // A listener's failure is its own.
    }
  };
  const deliver = (document: string, from: string, to: readonly string[], bytes: Uint8Array): void => {
    const sentIn = epoch;
    for (const id of to) {
      queueMicrotask(() => {
        if (down || epoch !== sentIn) return;
        const j = channels.get(document)?.get(id);
        if (j !== undefined) safely(() => j.handlers.onMessage(from, bytes.slice()));
      });
    }
  };
  const unavailable = (): Promise<never> =>
    Promise.reject(new SyncError("HUB_UNAVAILABLE", "the memory hub is down"));

  const member = (): Hub => {
    const id = `m${++members}`;
    const listeners = new Set<(up: boolean) => void>();
    statusListeners.set(id, listeners);
    const mine = new Map<string, Joined>();
    let closed = false;

    const channel = (document: string, joined: Joined): HubChannel => {
      const current = (): boolean => channels.get(document)?.get(id) === joined;
      const send = async (targets: () => readonly string[], bytes: Uint8Array): Promise<void> => {
        if (down) return unavailable();
        if (!current()) throw new SyncError("HUB_UNAVAILABLE", `not joined to ${JSON.stringify(document)}`);
        deliver(document, id, targets(), bytes.slice());
      };
      return {
        publish: (bytes) =>
          send(() => [...(channels.get(document)?.keys() ?? [])].filter((m) => m !== id), bytes),
        sendTo: (target, bytes) =>
          send(() => (target !== id && channels.get(document)?.has(target) === true ? [target] : []), bytes),
        leave: async () => {
          if (!current()) return;
          channels.get(document)?.delete(id);
          if (channels.get(document)?.size === 0) channels.delete(document);
          mine.delete(document);
        },
      };
    };

    return {
      id,
      join: async (document, handlers) => {
        if (closed) throw new SyncError("HUB_UNAVAILABLE", "this hub member is closed");
        if (mine.has(document))
          throw new ConfigError(`member ${id} already joined document ${JSON.stringify(document)}`);
        const joined: Joined = { member: id, handlers };
        let byMember = channels.get(document);
        if (byMember === undefined) {
          byMember = new Map();
          channels.set(document, byMember);
        }
        byMember.set(id, joined);
        mine.set(document, joined);
        return channel(document, joined);
      },
      isUp: () => !down && !closed,
      onStatus: (listener) => {
        if (!closed) listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        for (const document of mine.keys()) {
          channels.get(document)?.delete(id);
          if (channels.get(document)?.size === 0) channels.delete(document);
        }
        mine.clear();
        listeners.clear();
        statusListeners.delete(id);
      },
    };
  };

  const setDown = (next: boolean): void => {
    if (next === down) return;
    down = next;
    if (next) epoch++;
    const up = !next;
    queueMicrotask(() => {
      for (const listeners of [...statusListeners.values()])
        for (const l of [...listeners]) safely(() => l(up));
      if (!up || down) return;
      for (const byMember of [...channels.values()])
        for (const j of [...byMember.values()]) safely(() => j.handlers.onGap());
    });
  };

  return { member, setDown, isDown: () => down };
}
