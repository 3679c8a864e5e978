import { Redis } from "@hocuspocus/extension-redis";
import { Server } from "@hocuspocus/server";
import type { RunningServer } from "../../sync/server-messages.ts";

/**
 * Hocuspocus with its Redis extension, as its scaling guide wires it: `new Redis({ host, port })`
 * in the extension list (a unique identifier per process, the default `hocuspocus` prefix), no
 * other extension (nothing is stored), quiet, on 127.0.0.1 and a free port. Every instance
 * publishes each document change to the document's Redis pub/sub channel and answers its peers'
 * sync requests.
 */
export async function startHocuspocusRedisServer(redisUrl: string): Promise<RunningServer> {
  const url = new URL(redisUrl);
  const redis = new Redis({ host: url.hostname, port: Number(url.port) });
  const server = new Server({
    port: 0,
    address: "127.0.0.1",
    quiet: true,
    stopOnSignals: false,
    extensions: [redis],
  });
  await server.listen();
  return { port: server.address.port, close: () => server.destroy() };
}
