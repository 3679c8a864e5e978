import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { lww } from "@converge/resolvers";
import { sqliteStore } from "@converge/store-sqlite";
import { connect, loadReplica, type SyncSession } from "@converge/sync";
import { prng } from "@converge/sync/testing";
import { webSocketDialer } from "@converge/websocket";
import { afterAll, describe, expect, it } from "vitest";
import { killAfterOutput } from "../kit/kill-after-output.ts";

// Issue 13: the server acknowledges a write only once it is durable. Kill -9 the server at many
// random instants while clients write; after each kill, open the server's SQLite file and check
// that every write any client saw acknowledged is in it (the oracle: each client's log of acks).

const child = fileURLToPath(new URL("./durability/server-child.ts", import.meta.url));
const rules = { default: lww() };
const dir = mkdtempSync(join(tmpdir(), "converge-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startServer(path: string, port: number): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--conditions=@converge/source", child, path, String(port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const guard = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error("the server did not start within 15 s"));
    }, 15_000);
    proc.stdout?.on("data", (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m !== null) {
        clearTimeout(guard);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.on("error", reject);
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.on("exit", () => resolve());
    proc.kill("SIGKILL");
  });
}

interface Writer {
  readonly map: ReplicatedMap;
  readonly session: SyncSession;
  /** key → the sequence number of the write that set it. */
  readonly written: Map<string, number>;
  /** Keys the server acknowledged (its ack vector covered their write). */
  readonly acked: Set<string>;
}

function writer(name: string, port: number): Writer {
  const map = createReplicatedMap({ resolvers: rules });
  const written = new Map<string, number>();
  const acked = new Set<string>();
  const session = connect(map, {
    document: "doc",
    dial: webSocketDialer(`ws://127.0.0.1:${port}/`, { connectTimeoutMs: 2000 }),
    backoff: { initialMs: 20, maxMs: 200 },
  });
  session.on("ack", (vector) => {
    const upTo = vector.get(map.id);
    for (const [key, seq] of written) if (seq <= upTo) acked.add(key);
  });
  void name;
  return { map, session, written, acked };
}

async function storedKeys(path: string): Promise<Set<string>> {
  const store = sqliteStore({ path });
  try {
    const doc = await store.open("doc");
    const { map } = loadReplica(await doc.load(), { resolvers: rules });
    return new Set(map.keys());
  } finally {
    await store.close();
  }
}

describe("kill -9 the server", () => {
  it("every write acknowledged before a kill is in the server's store after it, at 50 random instants", async () => {
    const { seed } = runConfig({}, 1);
    const random = prng(seed).next;
    const path = join(dir, "server.db");
    let server = await startServer(path, 0);
    const port = server.port;
    const writers = ["a", "b", "c"].map((n) => writer(n, port));
    let n = 0;
    const tick = setInterval(() => {
      for (const w of writers) {
        const key = `w:${w.map.id}:${n}`;
        w.map.set(key, n);
        w.written.set(key, w.map.versionVector().get(w.map.id));
      }
      n++;
    }, 10);
    let checkedAcks = 0;
    try {
      for (let round = 0; round < 50; round++) {
        await new Promise((r) => setTimeout(r, 60 + Math.floor(random() * 240)));
        const ackedBefore = writers.flatMap((w) => [...w.acked]);
        await kill(server.proc);
        const stored = await storedKeys(path);
        const lost = ackedBefore.filter((k) => !stored.has(k));
        expect(lost, `round ${round} (seed ${seed}): acknowledged, then lost by kill -9`).toEqual([]);
        checkedAcks = ackedBefore.length;
        server = await startServer(path, port);
      }
    } finally {
      clearInterval(tick);
    }
    // After the last restart everything converges, and the server holds every write made.
    await Promise.all(writers.map((w) => w.session.whenSynced()));
    const deadline = Date.now() + 20_000;
    while (writers.some((w) => w.session.outboxSize() > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const w of writers) await w.session.close();
    await kill(server.proc);
    const stored = await storedKeys(path);
    const made = writers.flatMap((w) => [...w.written.keys()]);
    expect(made.filter((k) => !stored.has(k))).toEqual([]);
    expect(checkedAcks, "writes were acknowledged between kills").toBeGreaterThan(100);
    console.log(
      `[durability] 50 kills, ${made.length} writes, ${checkedAcks} acknowledged before the last kill, none lost`,
    );
  }, 240_000);
});

describe("kill -9 a client", () => {
  it("every write a client committed locally reaches the server after it restarts", async () => {
    const clientChild = fileURLToPath(new URL("./durability/client-child.ts", import.meta.url));
    const serverPath = join(dir, "client-test-server.db");
    const clientPath = join(dir, "client.db");
    const server = await startServer(serverPath, 0);
    const url = `ws://127.0.0.1:${server.port}/`;
    const committed: number[] = [];
    let next = 0;
    try {
      for (let round = 0; round < 6; round++) {
        const printed = await killAfterOutput([clientChild, clientPath, url, String(next)], {
          afterMs: 100 + round * 50,
        });
        expect(
          printed.length,
          `round ${round}: the client committed writes before it was killed`,
        ).toBeGreaterThan(0);
        committed.push(...printed);
        next = Math.max(...printed) + 1;
      }
      // One last life, not killed: it resends what earlier lives committed but never sent.
      const map = createReplicatedMap({ resolvers: rules });
      const reader = connect(map, {
        document: "doc",
        dial: webSocketDialer(url),
        backoff: { initialMs: 20, maxMs: 200 },
      });
      await new Promise<void>((resolve, reject) => {
        const proc = spawn(
          process.execPath,
          ["--conditions=@converge/source", clientChild, clientPath, url, String(next)],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        const deadline = Date.now() + 30_000;
        const poll = setInterval(() => {
          if (committed.every((n) => map.has(`w:${n}`))) {
            clearInterval(poll);
            proc.kill("SIGKILL");
            resolve();
          } else if (Date.now() > deadline) {
            clearInterval(poll);
            proc.kill("SIGKILL");
            reject(
              new Error(
                `missing on the server: ${committed
                  .filter((n) => !map.has(`w:${n}`))
                  .slice(0, 10)
                  .join(", ")}`,
              ),
            );
          }
        }, 50);
      });
      await reader.close();
      expect(committed.filter((n) => !map.has(`w:${n}`))).toEqual([]);
      console.log(
        `[durability] client killed 6 times; ${committed.length} locally committed writes all reached the server`,
      );
    } finally {
      await kill(server.proc);
    }
  }, 120_000);
});
