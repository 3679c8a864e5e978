/**
 * The entry of a storage bench server child: `node storage-child.ts <system> <dir>`. Starts that
 * system's server on 127.0.0.1 (a free port) with its data in `dir`, reports the port, answers
 * `cpu` with its own CPU time, and exits on `stop` (or when the parent goes away).
 */
import { join } from "node:path";
import { createServer } from "@converge/server";
import { sqliteStore } from "@converge/store-sqlite";
import { SQLite } from "@hocuspocus/extension-sqlite";
import { Server } from "@hocuspocus/server";
import { BENCH_RULES } from "../sync/bench-rules.ts";
import {
  isStorageSystem,
  type StorageFromChild,
  type StorageSystem,
  type StorageToChild,
} from "./storage-systems.ts";

const send = (msg: StorageFromChild): void => {
  process.send?.(msg);
};

async function start(
  system: StorageSystem,
  dir: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  if (system.startsWith("converge")) {
    const store =
      system === "converge-memory"
        ? undefined
        : sqliteStore({
            path: join(dir, "converge.sqlite"),
            synchronous: system === "converge-sqlite-normal" ? "normal" : "full",
            thread: system === "converge-sqlite-main" ? "main" : "worker",
          });
    const server = await createServer({
      port: 0,
      host: "127.0.0.1",
      documents: () => ({ rules: BENCH_RULES }),
      ...(store === undefined ? {} : { store }),
    });
    return { port: server.port, close: () => server.close() };
  }
  const server = new Server({
    port: 0,
    address: "127.0.0.1",
    quiet: true,
    stopOnSignals: false,
    extensions:
      system === "hocuspocus-sqlite" ? [new SQLite({ database: join(dir, "hocuspocus.sqlite") })] : [],
  });
  await server.listen();
  return { port: server.address.port, close: () => server.destroy() };
}

process.on("disconnect", () => process.exit(0));

try {
  const system = process.argv[2] ?? "";
  if (!isStorageSystem(system)) throw new Error(`storage-child: unknown system ${system}`);
  const server = await start(system, process.argv[3] ?? ".");
  process.on("message", (raw) => {
    // Our own parent's messages, typed in storage-systems.ts.
    const msg = raw as StorageToChild;
    if (msg.type === "cpu") {
      const c = process.cpuUsage();
      send({ type: "cpu", us: c.user + c.system });
    } else {
      void server.close().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 5000).unref();
    }
  });
  send({ type: "ready", port: server.port });
} catch (e) {
  send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}
