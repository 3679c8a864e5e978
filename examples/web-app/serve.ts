/**
 * Serves the built web app and syncs its pages: static files from dist/, and WebSocket sync on
 * `/sync` into a sync host whose "shop" document has the page's rules (the cart script under
 * QuickJS, as in the page), kept in SQLite under `dataDir` when given.
 *
 *   node --conditions=@converge/source examples/web-app/serve.ts [port]
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { scriptResolver } from "@converge/script";
import { sqliteStore } from "@converge/store-sqlite";
import { createSyncHost, type SyncHost } from "@converge/sync";
import { acceptWebSockets } from "@converge/websocket/server";
import { buildWebApp } from "./build.ts";
import { DOCUMENT, shopRules } from "./src/shop.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/** A running web app server. */
export interface WebAppServer {
  readonly url: string;
  readonly port: number;
  readonly host: SyncHost;
  readonly close: () => Promise<void>;
}

/** Starts the server on 127.0.0.1 (`port` 0: a free one), serving an already built `dist`. */
export async function serveWebApp(
  options: { readonly port?: number; readonly dist?: string; readonly dataDir?: string } = {},
): Promise<WebAppServer> {
  const dist = options.dist ?? join(here, "dist");
  const cart = scriptResolver({ source: readFileSync(join(here, "../resolvers/cart.js"), "utf8") });
  const rules = shopRules(cart);
  const host = createSyncHost({
    documents: (name) => (name === DOCUMENT ? { rules } : undefined),
    ...(options.dataDir === undefined
      ? {}
      : { store: sqliteStore({ path: join(options.dataDir, "shop.db") }) }),
  });
  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(dist, path === "/" ? "index.html" : path));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, "127.0.0.1", resolve));
  const sockets = await acceptWebSockets({
    server: http,
    path: "/sync",
    heartbeatMs: 5000,
    onTransport: (t, info) =>
      host.accept(t, info.remoteAddress === undefined ? {} : { remote: info.remoteAddress }),
  });
  const port = (http.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    host,
    close: async () => {
      await sockets.close();
      await host.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWebApp();
  const server = await serveWebApp({ port: Number(process.argv[2] ?? 8080) });
  console.log(`converge shop: open ${server.url}?name=Ann and ${server.url}?name=Bo in two windows`);
}
