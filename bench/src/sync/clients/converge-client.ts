import { createReplicatedMap } from "@converge/core";
import { connect, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { BENCH_RULES } from "../bench-rules.ts";
import { waitUntil } from "../wait.ts";
import type { BenchClient, ClientFactory } from "./bench-client.ts";

/** The path converge's server takes WebSocket upgrades on (`createServer`'s default). */
const SYNC_PATH = "/sync";

/**
 * A converge ReplicatedMap attached with `connect` over `webSocketDialer` (the platform's
 * WebSocket). Synced means the session's status is `synced`: connected, and every local op
 * acknowledged. Going offline closes the session; coming back connects the same map again.
 * With presence, the client sets an empty presence (as a Yjs awareness starts with `{}`).
 */
export const convergeClient: ClientFactory = async (options, timeoutMs) => {
  const map = createReplicatedMap({ resolvers: BENCH_RULES });
  const dial = webSocketDialer(`${options.url}${SYNC_PATH}`);
  let opens = 0;
  const start = (): SyncSession => {
    const s = connect(map, { document: options.document, dial });
    s.on("status", (status) => {
      if (status === "connecting") opens++;
    });
    if (options.presence) s.setPresence({});
    return s;
  };
  let session = start();
  const client: BenchClient = {
    write: (key, value) => {
      map.set(key, value);
    },
    writeMany: (keys, value) => {
      map.batch(() => {
        for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, value(i));
      });
    },
    onRemote: (listener) => {
      map.subscribe((event) => {
        if (event.origin !== "remote") return;
        const changes = event.changes;
        listener(changes.length, () => changes.map((c) => c.key));
      });
    },
    get: (key) => map.get(key),
    unacknowledged: () => session.outboxSize(),
    synced: () => session.status() === "synced",
    connects: () => opens,
    disconnect: () => session.close(),
    reconnect: async () => {
      session = start();
    },
    close: () => session.close(),
  };
  try {
    await waitUntil(client.synced, timeoutMs, "converge client to sync");
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
};
