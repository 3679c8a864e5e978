import { createReplicatedMap } from "@converge/core";
import { connect } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import * as Y from "yjs";
import { BENCH_RULES } from "../sync/bench-rules.ts";
import { waitUntil, withTimeout } from "../sync/wait.ts";

/** A writer whose every write is acknowledged by its server, in order. */
export interface AckClient {
  /** Makes one write (one operation / one Yjs update). */
  readonly write: (key: string, value: number) => void;
  /** `listener(n)`: the next `n` writes were acknowledged. */
  readonly onAcks: (listener: (n: number) => void) => void;
  readonly close: () => Promise<void>;
}

/**
 * converge: a map attached with `connect` over WebSocket. The server acknowledges with its
 * vector after its store committed the op; this replica's entry in that vector counts its own
 * operations, one per write.
 */
export async function convergeAckClient(
  url: string,
  document: string,
  timeoutMs: number,
): Promise<AckClient> {
  const map = createReplicatedMap({ resolvers: BENCH_RULES });
  const session = connect(map, { document, dial: webSocketDialer(`${url}/sync`) });
  await withTimeout(session.whenSynced(), timeoutMs, "converge client to sync");
  let acked = map.versionVector().get(map.id);
  let written = acked;
  return {
    write: (key, value) => {
      map.set(key, value);
      written++;
    },
    onAcks: (listener) => {
      session.on("ack", (vector) => {
        const seq = Math.min(vector.get(map.id), written);
        if (seq > acked) {
          const n = seq - acked;
          acked = seq;
          listener(n);
        }
      });
    },
    close: () => session.close(),
  };
}

/**
 * Hocuspocus: a provider on its own WebSocket; each write is one Y.Map update, which the provider
 * counts in `unsyncedChanges` until the server's sync-status reply (sent once the update is
 * applied in memory; storage happens later, debounced).
 */
export async function hocuspocusAckClient(
  url: string,
  document: string,
  timeoutMs: number,
): Promise<AckClient> {
  const doc = new Y.Doc();
  const socket = new HocuspocusProviderWebsocket({ url, messageReconnectTimeout: 600_000 });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: document, document: doc });
  provider.attach();
  provider.awareness?.setLocalState(null);
  await waitUntil(() => provider.isSynced, timeoutMs, "hocuspocus client to sync");
  const m = doc.getMap<number>("m");
  let last = 0;
  return {
    write: (key, value) => {
      m.set(key, value);
    },
    onAcks: (listener) => {
      provider.on("unsyncedChanges", ({ number }: { number: number }) => {
        // Set before the listener runs: it may write, and that write's event nests inside this one.
        const acked = last - number;
        last = number;
        if (acked > 0) listener(acked);
      });
    },
    close: async () => {
      provider.destroy();
      socket.destroy();
      doc.destroy();
    },
  };
}
