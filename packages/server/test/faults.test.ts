import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { documentRules } from "@converge/rules";
import { connect, type SyncSession } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { describe, expect, it } from "vitest";
import { createServer } from "../src/index.ts";
import { createFaultProxy } from "./support/fault-proxy.ts";
import { prng } from "./support/prng.ts";
import { sameBytes, until } from "./support/wait.ts";

const CLIENTS = 20;
/** How long the faults last; writes happen throughout. */
const FAULT_MS = 8_000;

describe("20 clients through a fault proxy", () => {
  it("converge once the faults stop, with every write every client made", async () => {
    const { seed } = runConfig({}, 1);
    console.log(`[converge/server] fault proxy run: seed ${seed} (replay: CONVERGE_SEED=${seed})`);
    const random = prng(seed);
    const config = documentRules(
      { default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } },
      [],
    );
    const server = await createServer({ port: 0, documents: { room: config } });
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: server.port },
      seed: random.int(0, 2 ** 31),
      faults: {
        reset: 0.2,
        blackhole: 0.1,
        halfOpen: 0.1,
        latencyMs: [0, 40],
        split: 0.3,
        faultWithinMs: 1_500,
        maxLifetimeMs: 2_500,
        passLifetimeMs: [300, 2_500],
      },
    });
    const dial = webSocketDialer(`ws://127.0.0.1:${proxy.port}/sync`, { connectTimeoutMs: 1_000 });
    const maps: ReplicatedMap[] = [];
    const sessions: SyncSession[] = [];
    const increments: number[] = [];
    const lastWrite: (string | undefined)[] = [];
    const timers = new Set<NodeJS.Timeout>();
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const map = createReplicatedMap({ resolvers: config.rules });
        const jitter = random.fork();
        maps.push(map);
        increments.push(0);
        lastWrite.push(undefined);
        sessions.push(
          connect(map, {
            document: "room",
            dial,
            backoff: { initialMs: 20, maxMs: 400 },
            random: jitter.next,
          }),
        );
      }
      // Each client writes on its own seeded schedule while the faults last: increments of its own
      // counter, writes of its own lww key, and now and then the shared key.
      const stopAt = Date.now() + FAULT_MS;
      await new Promise<void>((resolve) => {
        let running = CLIENTS;
        for (let i = 0; i < CLIENTS; i++) {
          const r = random.fork();
          let seq = 0;
          const step = (): void => {
            if (Date.now() >= stopAt) {
              if (--running === 0) resolve();
              return;
            }
            const map = maps[i] as ReplicatedMap;
            const roll = r.next();
            if (roll < 0.6) {
              map.increment(`n:${i}`, 1);
              increments[i] = (increments[i] as number) + 1;
            } else if (roll < 0.9) {
              const value = `${i}:${++seq}`;
              map.set(`w:${i}`, value);
              lastWrite[i] = value;
            } else {
              map.set("shared", `${i}:${++seq}`);
            }
            const t = setTimeout(
              () => {
                timers.delete(t);
                step();
              },
              r.int(10, 120),
            );
            timers.add(t);
          };
          step();
        }
      });
      const faultStats = proxy.stats();
      proxy.calm();
      const calmAt = Date.now();
      const serverMap = await server.sync.document("room");
      const describeState = () =>
        `convergence (seed ${seed}); statuses ${sessions.map((s) => s.status()).join(",")}; outboxes ${sessions
          .map((s) => s.outboxSize())
          .join(",")}`;
      await until(
        () => {
          if (!sessions.every((s) => s.status() === "synced" && s.outboxSize() === 0)) return false;
          const want = serverMap.encodeState();
          return maps.every((m) => sameBytes(m.encodeState(), want));
        },
        20_000,
        describeState,
      );
      const convergedMs = Date.now() - calmAt;
      // The oracle: every increment and each client's last write, on every replica and the server.
      for (const m of [...maps, serverMap]) {
        for (let i = 0; i < CLIENTS; i++) {
          expect(m.get(`n:${i}`) ?? 0).toBe(increments[i]);
          expect(m.get(`w:${i}`)).toBe(lastWrite[i]);
        }
      }
      const total = increments.reduce((a, b) => a + b, 0);
      console.log(
        `[converge/server] fault proxy run: ${total} increments and ${lastWrite.filter((w) => w !== undefined).length} lww keys by ${CLIENTS} clients over ${FAULT_MS} ms, converged ${convergedMs} ms after the faults stopped; connections ${faultStats.connections}, fates ${JSON.stringify(faultStats.fates)}`,
      );
      expect(total).toBeGreaterThan(CLIENTS * 10);
      // The faults did happen.
      expect(faultStats.fates.reset + faultStats.fates.blackhole + faultStats.fates.halfOpen).toBeGreaterThan(
        0,
      );
      expect(faultStats.connections).toBeGreaterThan(CLIENTS);
    } finally {
      for (const t of timers) clearTimeout(t);
      await Promise.all(sessions.map((s) => s.close()));
      await proxy.close();
      await server.close();
    }
  }, 90_000);
});
