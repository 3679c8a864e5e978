import { createReplicatedMap } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { documentRules } from "@converge/rules";
import { connect, type Dialer, memoryTransportPair, type Transport } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { describe, expect, it } from "vitest";
import { createServer } from "../src/index.ts";
import { fuzzFrame, type Mutation } from "./support/fuzz-frames.ts";
import { prng } from "./support/prng.ts";
import { sameBytes, until } from "./support/wait.ts";

const TOTAL_FRAMES = 100_000;
/** Frames sent over real WebSockets; the rest go through memory transports into the same host. */
const SOCKET_FRAMES = 5_000;
const MAX_FRAME_BYTES = 16 * 1024;

/** A transport that records every frame both ways. */
function recording(inner: Transport, frames: Uint8Array[]): Transport {
  inner.onFrame((f) => frames.push(f.slice()));
  return {
    ...inner,
    send: (frame) => {
      frames.push(frame.slice());
      inner.send(frame);
    },
  };
}

describe("fuzzed frames against a live server", () => {
  it(`${TOTAL_FRAMES} fuzzed frames: the server stays up, an honest client keeps syncing, documents are unchanged`, async () => {
    const { seed } = runConfig({}, 1);
    console.log(`[converge/server] fuzz run: seed ${seed} (replay: CONVERGE_SEED=${seed})`);
    const random = prng(seed);
    const config = documentRules(
      { default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } },
      [],
    );
    const server = await createServer({
      port: 0,
      documents: { shop: config, other: config, live: config },
      limits: { maxFrameBytes: MAX_FRAME_BYTES },
    });
    const errors = new Map<string, number>();
    server.sync.onError((e) => errors.set(e.code, (errors.get(e.code) ?? 0) + 1));
    const memoryDial =
      (frames: Uint8Array[]): Dialer =>
      async () => {
        const [client, host] = memoryTransportPair();
        server.sync.accept(host);
        return recording(client, frames);
      };
    try {
      // Two documents with some state, written by honest clients whose frames become the corpus.
      const corpus: Uint8Array[] = [];
      for (const document of ["shop", "other"]) {
        const map = createReplicatedMap({ resolvers: config.rules });
        const session = connect(map, { document, dial: memoryDial(corpus), credentials: "secret" });
        await session.whenSynced();
        for (let i = 0; i < 40; i++) {
          map.set(`k:${i}`, { i, document });
          map.increment(`n:${i % 5}`, i);
          // Some turns end here: the corpus holds single frames as well as batches of them.
          if (i % 4 === 3) await new Promise((r) => setImmediate(r));
        }
        map.batch(() => {
          for (let i = 0; i < 20; i++) map.set(`b:${i}`, i);
        });
        session.setPresence({ name: document });
        await until(
          () => session.outboxSize() === 0,
          10_000,
          () => "the seed writes to be acknowledged",
        );
        await session.close();
      }
      const before = new Map<string, Uint8Array>();
      for (const name of ["shop", "other"])
        before.set(name, (await server.sync.document(name)).encodeState());
      const hellos = corpus.filter((f) => f.length > 0 && f[0] === corpus[0]?.[0]);
      expect(corpus.length).toBeGreaterThan(10);

      // The honest client: writes to its own document throughout, over a real WebSocket.
      const honest = createReplicatedMap({ resolvers: config.rules });
      const live = connect(honest, {
        document: "live",
        dial: webSocketDialer(server.url),
        backoff: { initialMs: 20, maxMs: 200 },
      });
      await live.whenSynced();
      let increments = 0;
      const acks: number[] = [];
      live.on("ack", () => acks.push(Date.now()));
      const writer = setInterval(() => {
        honest.increment("n:honest", 1);
        increments++;
      }, 20);

      const started = Date.now();
      const sent: Record<Mutation | "hello", number> = {
        random: 0,
        bitflip: 0,
        truncate: 0,
        oversize: 0,
        splice: 0,
        hello: 0,
      };
      /** Fuzz frames for one connection: sometimes a valid hello first, then 1–6 fuzzed frames. */
      const frames = (): Uint8Array[] => {
        const out: Uint8Array[] = [];
        if (random.chance(0.5) && hellos.length > 0) {
          out.push(hellos[random.int(0, hellos.length - 1)] as Uint8Array);
          sent.hello++;
        }
        for (let n = random.int(1, 6); n > 0; n--) {
          const f = fuzzFrame(random, corpus, MAX_FRAME_BYTES);
          sent[f.mutation]++;
          out.push(f.frame);
        }
        return out;
      };
      const fuzzed = (): number => sent.random + sent.bitflip + sent.truncate + sent.oversize + sent.splice;

      // Over real sockets: raw WebSockets, 16 at a time.
      let socketConnections = 0;
      const overSocket = async (): Promise<void> => {
        while (fuzzed() < SOCKET_FRAMES) {
          const batch = frames();
          socketConnections++;
          await new Promise<void>((resolve) => {
            const ws = new WebSocket(server.url);
            ws.binaryType = "arraybuffer";
            const done = setTimeout(() => ws.close(), 200);
            ws.onopen = () => {
              for (const f of batch) ws.send(f);
            };
            ws.onclose = () => {
              clearTimeout(done);
              resolve();
            };
            ws.onerror = () => {};
          });
        }
      };
      await Promise.all(Array.from({ length: 16 }, overSocket));
      const socketMs = Date.now() - started;
      const socketFrames = fuzzed();

      // The rest through memory transports into the same host, 100 connections at a time.
      let memoryConnections = 0;
      while (fuzzed() < TOTAL_FRAMES) {
        const open: Promise<void>[] = [];
        for (let c = 0; c < 100 && fuzzed() < TOTAL_FRAMES; c++) {
          const [client, host] = memoryTransportPair();
          server.sync.accept(host);
          memoryConnections++;
          for (const f of frames()) client.send(f);
          open.push(
            new Promise<void>((resolve) => {
              client.onClose(() => resolve());
              setTimeout(() => client.close(), 5);
            }),
          );
        }
        await Promise.all(open);
      }
      const totalMs = Date.now() - started;
      clearInterval(writer);

      // The server is up and healthy.
      const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(health.status).toBe(200);
      // The honest client kept syncing throughout: acknowledgements kept coming during the fuzz.
      const during = acks.filter((t) => t >= started && t <= started + totalMs);
      expect(during.length).toBeGreaterThan(Math.min(5, totalMs / 200));
      await until(
        () => live.outboxSize() === 0,
        10_000,
        () => "the honest client's last writes to be acknowledged",
      );
      const liveDoc = await server.sync.document("live");
      expect(liveDoc.get("n:honest")).toBe(increments);
      expect(sameBytes(liveDoc.encodeState(), honest.encodeState())).toBe(true);
      // Every fuzzed document is byte-identical to before.
      for (const [name, bytes] of before) {
        expect(sameBytes((await server.sync.document(name)).encodeState(), bytes), name).toBe(true);
      }
      expect(server.sync.stats().documents).toBe(3);
      console.log(
        `[converge/server] fuzz run: ${fuzzed()} fuzzed frames (${JSON.stringify(sent)}) in ${totalMs} ms; ` +
          `${socketFrames} over ${socketConnections} WebSockets in ${socketMs} ms, the rest over ${memoryConnections} memory transports; ` +
          `host errors ${JSON.stringify(Object.fromEntries(errors))}; honest client: ${increments} writes, ${during.length} acks during the fuzz`,
      );
      await live.close();
    } finally {
      await server.close();
    }
  }, 120_000);
});
