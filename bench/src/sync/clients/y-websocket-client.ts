import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { waitUntil } from "../wait.ts";
import type { BenchClient, ClientFactory } from "./bench-client.ts";
import { yMapPart } from "./yjs-map-client.ts";

/**
 * y-websocket's provider on the platform's WebSocket, a Y.Doc and a Y.Map "m". BroadcastChannel
 * is disabled: every client lives in this one process, and tabs-style sharing would bypass the
 * server. Without presence its awareness has no local state.
 */
export const yWebsocketClient: ClientFactory = async (options, timeoutMs) => {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(options.url, options.document, doc, { disableBc: true });
  if (!options.presence) provider.awareness.setLocalState(null);
  let opens = 0;
  provider.on("status", ({ status }: { status: string }) => {
    if (status === "connected") opens++;
  });
  const part = yMapPart(doc);
  const client: BenchClient = {
    ...part,
    // y-websocket's server never acknowledges an update.
    unacknowledged: () => null,
    synced: () => provider.wsconnected && provider.synced,
    connects: () => opens,
    disconnect: async () => {
      provider.disconnect();
      await waitUntil(
        () => !provider.wsconnected && provider.ws === null,
        timeoutMs,
        "y-websocket client to close",
      );
    },
    reconnect: async () => {
      provider.connect();
    },
    close: async () => {
      provider.destroy();
      doc.destroy();
    },
  };
  try {
    await waitUntil(client.synced, timeoutMs, "y-websocket client to sync");
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
};
