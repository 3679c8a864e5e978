import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isConvergeError } from "@converge/hlc";
import { redisHub } from "@converge/redis";
import { documentRules } from "@converge/rules";
import { type ConvergeServer, createServer, type ServerOptions } from "@converge/server";
import { sqliteStore } from "@converge/store-sqlite";
import { type Hub, SyncError } from "@converge/sync";

/** Exit codes of `converge serve` (a subset of `EXIT`, plus 69 when the port cannot be bound). */
export const SERVE_EXIT: Readonly<{ ok: 0; cannotLoad: 2; usage: 64; cannotListen: 69; internal: 70 }> =
  Object.freeze({ ok: 0, cannotLoad: 2, usage: 64, cannotListen: 69, internal: 70 });

export const SERVE_USAGE = `usage: converge serve [--port N] [--host H] [--rules rules.json] [--token T] [--data DIR]
                      [--redis redis://host:port [--redis-max-len N]]

Runs a converge sync server until SIGINT or SIGTERM: WebSocket connections on /sync, GET /healthz,
GET /metrics (Prometheus text). Documents live in memory, or with --data in DIR/converge.db.
  --port N         TCP port (default 8080; 0 picks a free one, printed at start)
  --host H         address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --rules FILE     the documents' key rules (docs/SERVER.md); default: every document, lww
  --token T        clients must send this bearer token as their credentials
  --data DIR       keep documents in DIR/converge.db (SQLite, WAL, synchronous=FULL): a write is
                   acknowledged only once fsynced, and survives kill -9 and power loss
  --redis URL      scale-out: serve the same documents as every other server on this Redis
                   (redis://[user:password@]host:port[/db], Redis >= 7): writes are published
                   through one stream per document, and a server that missed some catches up
                   from a peer; while Redis is unreachable the server keeps serving its clients
  --redis-max-len N
                   trim each document's Redis stream to about N entries (default 10000)
Exit codes: 0 stopped by a signal, 2 the rules or the data could not be loaded, 64 usage error,
  69 the port could not be bound, 70 internal error`;

/** What `serve` reads from its surroundings; injectable so tests can drive it in-process. */
export interface ServeIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM); default: the process's signals. */
  readonly stopped?: Promise<string>;
  /** Called once the server listens. */
  readonly started?: (server: ConvergeServer) => void;
}

/**
 * Resolves on the first SIGINT or SIGTERM. Later signals are ignored while the server closes (a
 * terminal's Ctrl-C reaches both the launcher, which passes it on, and this process).
 */
function processSignals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string): void => resolve(signal);
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/** A Redis URL without its password, for the log. */
function redacted(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
}

/**
 * `converge serve`: parses `argv` (the arguments after `serve`), starts the server and resolves
 * with the exit code once it has stopped (after a signal, or at once on a usage or load error).
 */
export async function serve(argv: readonly string[], io: ServeIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        rules: { type: "string" },
        token: { type: "string" },
        data: { type: "string" },
        redis: { type: "string" },
        "redis-max-len": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  if (values["help"] === true) {
    io.out(SERVE_USAGE);
    return SERVE_EXIT.ok;
  }
  const portArg = values["port"];
  const port = portArg === undefined ? 8080 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65_535 || portArg === "") {
    io.err(`--port takes an integer in [0, 65535], not ${JSON.stringify(portArg)}\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  const token = values["token"];
  if (token === "") {
    io.err(`--token takes a non-empty token\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  const data = values["data"];
  if (data === "") {
    io.err(`--data takes a directory\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  const redis = values["redis"];
  if (redis !== undefined && (typeof redis !== "string" || !/^rediss?:\/\/[^/\s]/.test(redis))) {
    io.err(`--redis takes a redis:// or rediss:// URL, not ${JSON.stringify(redis)}\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  const maxLenArg = values["redis-max-len"];
  const maxLen = maxLenArg === undefined ? undefined : Number(maxLenArg);
  if (maxLen !== undefined && (redis === undefined || !Number.isSafeInteger(maxLen) || maxLen < 1)) {
    io.err(`--redis-max-len takes a positive integer, with --redis\n${SERVE_USAGE}`);
    return SERVE_EXIT.usage;
  }
  const store = typeof data === "string" ? sqliteStore({ path: join(data, "converge.db") }) : undefined;
  if (typeof data === "string") {
    mkdirSync(data, { recursive: true });
    try {
      await store?.documents(); // a damaged data file is refused here, before anyone connects
    } catch (e) {
      io.err(`converge serve: ${e instanceof Error ? e.message : String(e)}`);
      return SERVE_EXIT.cannotLoad;
    }
  }
  const rulesFile = values["rules"];
  const options: ServerOptions = {
    ...(store === undefined ? {} : { store }),
    port,
    host: typeof values["host"] === "string" ? values["host"] : "127.0.0.1",
    ...(typeof rulesFile === "string"
      ? { rulesFile }
      : {
          documents: (
            (config) => () =>
              config
          )(documentRules({ default: { resolver: "lww" } }, [])),
        }),
    ...(typeof token === "string"
      ? {
          authenticate: (credentials: string | null) => {
            if (credentials !== token)
              throw new SyncError("UNAUTHORIZED", "a valid bearer token is required");
            return "token";
          },
        }
      : {}),
  };
  const stopped = io.stopped ?? processSignals();
  const hub: Hub | undefined =
    typeof redis === "string"
      ? redisHub({ url: redis, ...(maxLen === undefined ? {} : { maxLen }) })
      : undefined;
  let server: ConvergeServer;
  try {
    server = await createServer(hub === undefined ? options : { ...options, hub });
  } catch (e) {
    await hub?.close();
    if (isConvergeError(e)) {
      io.err(`converge serve: ${e.message}`);
      return SERVE_EXIT.cannotLoad;
    }
    const code = (e as { code?: unknown }).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
      io.err(
        `converge serve: cannot listen on ${options.host}:${port}: ${e instanceof Error ? e.message : String(e)}`,
      );
      return SERVE_EXIT.cannotListen;
    }
    throw e;
  }
  io.out(`converge serve: listening on ${server.url} (health http://${server.host}:${server.port}/healthz)`);
  if (hub !== undefined) {
    io.out(`converge serve: scale-out through Redis at ${redacted(redis as string)} as member ${hub.id}`);
    server.sync.onHubStatus((up) =>
      up
        ? io.out("converge serve: Redis reachable again; catching up with the other servers")
        : io.err("converge serve: Redis unreachable; serving this server's clients only"),
    );
  }
  io.started?.(server);
  const signal = await stopped;
  io.out(`converge serve: ${signal}, closing`);
  await server.close();
  await hub?.close();
  io.out("converge serve: closed");
  return SERVE_EXIT.ok;
}
