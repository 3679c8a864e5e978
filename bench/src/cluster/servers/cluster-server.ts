import type { RunningServer, SystemId } from "../../sync/server-messages.ts";

/** Starts `system`'s server as a member of the cluster on `redisUrl` (server-child.ts calls this). */
export async function startClusterServer(system: SystemId, redisUrl: string): Promise<RunningServer> {
  if (system === "hocuspocus")
    return (await import("./hocuspocus-redis-server.ts")).startHocuspocusRedisServer(redisUrl);
  if (system === "converge")
    return (await import("./converge-cluster-server.ts")).startConvergeClusterServer(redisUrl);
  throw new Error(`cluster: ${system} has no Redis scale-out to measure`);
}
