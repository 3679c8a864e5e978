// A converge sync server in its own process, for the kill -9 tests: one document ("doc", every key
// last-writer-wins) kept in SQLite at argv[2], WebSocket sync on 127.0.0.1:argv[3] (0: a free port).
// Prints "ready <port>" once it accepts connections.
import { lww } from "@converge/resolvers";
import { sqliteStore } from "@converge/store-sqlite";
import { createSyncHost } from "@converge/sync";
import { acceptWebSockets } from "@converge/websocket/server";

const [path, port] = process.argv.slice(2) as [string, string];
const host = createSyncHost({
  documents: (name) => (name === "doc" ? { rules: { default: lww() } } : undefined),
  store: sqliteStore({ path }),
});
const sockets = await acceptWebSockets({
  port: Number(port),
  host: "127.0.0.1",
  heartbeatMs: 1000,
  onTransport: (t) => host.accept(t),
});
process.stdout.write(`ready ${sockets.port}\n`);
