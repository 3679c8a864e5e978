import { HocuspocusProvider, HocuspocusProviderWebsocket } from "@hocuspocus/provider";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { waitUntil } from "../wait.ts";
import type { BenchClient, ClientFactory } from "./bench-client.ts";
import { yMapPart } from "./yjs-map-client.ts";

/**
 * A Hocuspocus provider on its own WebSocket (the platform's), a Y.Doc and a Y.Map "m". Without
 * presence its awareness has no local state (nothing renews); its message-silence reconnect is
 * pushed out so a quiet client is not recycled mid-run.
 */
export const hocuspocusClient: ClientFactory = async (options, timeoutMs) => {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  if (!options.presence) awareness.setLocalState(null);
  let opens = 0;
  let open = false;
  // The socket made explicitly (one per client, as a provider given a URL makes), so that its
  // message-silence timeout can be set; the provider is attached to it.
  const socket = new HocuspocusProviderWebsocket({ url: options.url, messageReconnectTimeout: 600_000 });
  socket.on("open", () => {
    opens++;
    open = true;
  });
  socket.on("close", () => {
    open = false;
  });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: options.document,
    document: doc,
    awareness,
  });
  provider.attach();
  const part = yMapPart(doc);
  const client: BenchClient = {
    ...part,
    unacknowledged: () => provider.unsyncedChanges,
    synced: () => open && provider.isSynced,
    connects: () => opens,
    disconnect: async () => {
      socket.disconnect();
      await waitUntil(() => !open, timeoutMs, "hocuspocus client to close");
    },
    reconnect: async () => {
      await socket.connect();
    },
    close: async () => {
      provider.destroy();
      socket.destroy();
      awareness.destroy();
      doc.destroy();
    },
  };
  try {
    await waitUntil(client.synced, timeoutMs, "hocuspocus client to sync");
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
};
