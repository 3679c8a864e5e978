import type { ClientFactory } from "./clients/bench-client.ts";
import type { SystemId } from "./server-messages.ts";

/** Loads a system's client adapter (only the systems a run measures are imported). */
export async function clientFactory(system: SystemId): Promise<ClientFactory> {
  if (system === "hocuspocus") return (await import("./clients/hocuspocus-client.ts")).hocuspocusClient;
  if (system === "y-websocket") return (await import("./clients/y-websocket-client.ts")).yWebsocketClient;
  return (await import("./clients/converge-client.ts")).convergeClient;
}
