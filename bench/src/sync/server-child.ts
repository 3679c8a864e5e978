/**
 * The entry of a server child process: `node --expose-gc server-child.ts <system> [redis-url]`.
 * Starts that system's server on 127.0.0.1 (a free port) — with a Redis URL, the system's
 * cluster server (cluster/servers/) — reports it, then answers `stats` (the child's own
 * CPU and memory after GC) until `stop`. Forked by server-process.ts; one child per system per
 * scenario, so every number it reports is the server's alone.
 */
import type { FromChild, RunningServer, ServerStats, ToChild } from "./server-messages.ts";
import { isSystemId } from "./server-messages.ts";

const send = (msg: FromChild): void => {
  process.send?.(msg);
};

function stats(server: RunningServer): ServerStats {
  const cpu = process.cpuUsage();
  const gc = globalThis.gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const after = process.cpuUsage();
  return {
    cpuUs: cpu.user + cpu.system,
    cpuAfterGcUs: after.user + after.system,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    ...(server.hubDowns === undefined ? {} : { hubDowns: server.hubDowns() }),
  };
}

async function start(system: string, redisUrl: string | undefined): Promise<RunningServer> {
  if (!isSystemId(system)) throw new Error(`server-child: unknown system ${system}`);
  if (redisUrl !== undefined)
    return (await import("../cluster/servers/cluster-server.ts")).startClusterServer(system, redisUrl);
  if (system === "converge") return (await import("./servers/converge-server.ts")).startConvergeServer();
  if (system === "hocuspocus")
    return (await import("./servers/hocuspocus-server.ts")).startHocuspocusServer();
  return (await import("./servers/y-websocket-server.ts")).startYWebsocketServer();
}

// The parent going away (crash, kill) must not leave a server behind.
process.on("disconnect", () => process.exit(0));

try {
  const server = await start(process.argv[2] ?? "", process.argv[3]);
  process.on("message", (raw) => {
    // Our own parent's messages, typed in server-messages.ts.
    const msg = raw as ToChild;
    if (msg.type === "stats") send({ type: "stats", id: msg.id, stats: stats(server) });
    else if (msg.type === "stop") {
      void server.close().finally(() => process.exit(0));
      // close() of a server whose clients linger must not keep the child alive.
      setTimeout(() => process.exit(0), 2000).unref();
    }
  });
  send({ type: "ready", port: server.port });
} catch (e) {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}
