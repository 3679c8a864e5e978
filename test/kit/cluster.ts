import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReplicatedMap } from "@converge/core";
import { documentRules, rulesFromManifest } from "@converge/rules";
import { sqliteStore } from "@converge/store-sqlite";
import { type Dialer, loadReplica, openDocument, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { hex } from "./hex.ts";
import type { History } from "./history.ts";
import { type ServeProcess, startServe } from "./serve-process.ts";

/**
 * Several `converge serve --data … --redis …` processes on fixed ports (so a restarted server is
 * found where it was), and clients in the test process that each dial a live server per attempt.
 * For the cluster tests of issue 14.
 */
export interface Cluster {
  readonly dir: string;
  /** The servers' processes; undefined while one is down. */
  readonly servers: (ServeProcess | undefined)[];
  /** Starts server `i` (again), with the same port and data directory. */
  readonly start: (i: number) => Promise<void>;
  /** kill -9 server `i`. */
  readonly kill: (i: number) => Promise<void>;
  /** Indexes of the servers up now. */
  readonly live: () => number[];
  /** A dialer that connects to a random live server at every attempt (`prefer` on the first). */
  readonly dialer: (prefer: number) => Dialer;
  /**
   * Waits (at most `timeoutMs`) until a fresh client pinned to each server reads `state`: every
   * server has caught up. Resolves with how long it took, or rejects naming the servers behind.
   */
  readonly serversReach: (state: Uint8Array, timeoutMs: number) => Promise<number>;
  /** GET /metrics of server `i`, or "" when it is down. */
  readonly metrics: (i: number) => Promise<string>;
  /** SIGTERM every server, then read each one's document from its SQLite file: the state's bytes. */
  readonly storedStates: () => Promise<Uint8Array[]>;
  readonly dispose: () => Promise<void>;
}

/** The cluster tests' rules: counters under `c:`, every other key last-writer-wins. */
export const CLUSTER_RULES = {
  default: { resolver: "lww" },
  keys: { "c:*": { resolver: "pncounter" } },
} as const;

export const DOCUMENT = "doc";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/** Starts `n` servers on `redisUrl`; `extra` are more `converge serve` arguments. */
export async function startCluster(
  n: number,
  redisUrl: string,
  random: () => number,
  options: { readonly extra?: readonly string[]; readonly startNow?: number } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "converge-cluster-"));
  const rulesFile = join(dir, "rules.json");
  writeFileSync(rulesFile, JSON.stringify(CLUSTER_RULES));
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const servers: (ServeProcess | undefined)[] = Array.from({ length: n }, () => undefined);
  const args = (i: number): string[] => [
    "--port",
    String(ports[i]),
    "--data",
    join(dir, `server-${i}`),
    "--rules",
    rulesFile,
    "--redis",
    redisUrl,
    ...(options.extra ?? []),
  ];
  const start = async (i: number): Promise<void> => {
    if (servers[i] === undefined) servers[i] = await startServe(args(i));
  };
  const kill = async (i: number): Promise<void> => {
    const s = servers[i];
    servers[i] = undefined;
    await s?.kill();
  };
  const live = (): number[] => servers.flatMap((s, i) => (s === undefined ? [] : [i]));
  const url = (i: number): string => `ws://127.0.0.1:${ports[i]}/sync`;
  await Promise.all(Array.from({ length: options.startNow ?? n }, (_, i) => start(i)));
  return {
    dir,
    servers,
    start,
    kill,
    live,
    dialer: (prefer) => {
      let first = true;
      return (signal) => {
        const up = live();
        const i =
          first && servers[prefer] !== undefined ? prefer : (up[Math.floor(random() * up.length)] ?? prefer);
        first = false;
        return webSocketDialer(url(i), { connectTimeoutMs: 1000 })(signal);
      };
    },
    serversReach: async (state, timeoutMs) => {
      const t0 = Date.now();
      const want = hex(state);
      const readers = await Promise.all(
        live().map((i) =>
          openDocument({
            document: DOCUMENT,
            dial: webSocketDialer(url(i), { connectTimeoutMs: 1000 }),
            rules: rulesFromManifest,
            backoff: { initialMs: 20, maxMs: 300 },
          }).then((session) => ({ i, session })),
        ),
      );
      try {
        for (;;) {
          const behind = readers.filter((r) => hex(r.session.map.encodeState()) !== want);
          if (behind.length === 0) return Date.now() - t0;
          if (Date.now() - t0 > timeoutMs) {
            throw new Error(
              `servers ${behind.map((r) => `${r.i} (${r.session.map.size} keys)`).join(", ")} ` +
                `still behind the clients' state after ${timeoutMs} ms`,
            );
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await Promise.all(readers.map((r) => r.session.close()));
      }
    },
    metrics: async (i) => {
      if (servers[i] === undefined) return "";
      const res = await fetch(`http://127.0.0.1:${ports[i]}/metrics`);
      return res.text();
    },
    storedStates: async () => {
      await Promise.all(servers.map((s) => s?.stop()));
      servers.fill(undefined);
      const { rules } = documentRules(CLUSTER_RULES, []);
      const states: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const store = sqliteStore({ path: join(dir, `server-${i}`, "converge.db") });
        try {
          const doc = await store.open(DOCUMENT);
          states.push(loadReplica(await doc.load(), { resolvers: rules }).map.encodeState());
        } finally {
          await store.close();
        }
      }
      return states;
    },
    dispose: async () => {
      await Promise.all(servers.map((s) => s?.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client of the cluster: its session, and its operations recorded in `history`. */
export interface ClusterClient {
  readonly name: string;
  readonly session: SyncSession;
  readonly map: ReplicatedMap;
}

/** Opens `count` clients, client k preferring server `k % servers` for its first connection. */
export async function openClients(
  cluster: Cluster,
  count: number,
  servers: number,
  log: History,
  first = 0,
): Promise<ClusterClient[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, k) => {
      const session = await openDocument({
        document: DOCUMENT,
        dial: cluster.dialer((k + first) % servers),
        rules: rulesFromManifest,
        backoff: { initialMs: 20, maxMs: 300 },
      });
      session.on("ack", (vector) => log.acked(session.map.id, vector.get(session.map.id)));
      return { name: `client-${k + first}`, session, map: session.map };
    }),
  );
}

/**
 * Waits (at most `timeoutMs`) until every client's outbox is empty and every client's state has
 * the same bytes; resolves with how long it took, or rejects saying how the clients differ.
 */
export async function quiesce(clients: readonly ClusterClient[], timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const pending = clients.filter((c) => c.session.outboxSize() > 0).length;
    const states = new Set(clients.map((c) => hex(c.map.encodeState())));
    if (pending === 0 && states.size === 1) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      const sizes = clients.map((c) => c.map.size).join(",");
      throw new Error(
        `no quiescence after ${timeoutMs} ms: ${pending} clients with unacknowledged writes, ` +
          `${states.size} distinct states (sizes ${sizes})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Records acknowledgements the `ack` event does not report: a session also drops what a
 * reconnect's welcome vector covers from its outbox without an event. The outbox holds the last
 * `outboxSize()` operations of the replica (one entry per operation, in seq order), so every
 * operation up to `seq − outboxSize()` is acknowledged. Polls every 20 ms; returns a stop function.
 */
export function pollAcks(clients: readonly ClusterClient[], log: History): () => void {
  const poll = (): void => {
    for (const c of clients) {
      log.acked(c.map.id, c.map.versionVector().get(c.map.id) - c.session.outboxSize());
    }
  };
  const timer = setInterval(poll, 20);
  return () => {
    clearInterval(timer);
    poll();
  };
}
