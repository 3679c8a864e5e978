import { Server } from "@hocuspocus/server";
import type { RunningServer } from "../server-messages.ts";

/**
 * Hocuspocus as its README starts it: `new Server(...)` and `listen()`, no extensions (nothing is
 * stored), quiet, on 127.0.0.1 and a free port.
 */
export async function startHocuspocusServer(): Promise<RunningServer> {
  const server = new Server({ port: 0, address: "127.0.0.1", quiet: true, stopOnSignals: false });
  await server.listen();
  return { port: server.address.port, close: () => server.destroy() };
}
