import { createReplicatedMap } from "@converge/core";
import { documentRules } from "@converge/rules";
import {
  CloseCode,
  type CloseInfo,
  connect,
  type Dialer,
  memoryTransportPair,
  SyncError,
} from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { describe, expect, it } from "vitest";
import { createServer, memoryMetrics } from "../src/index.ts";
import { sameBytes, until } from "./support/wait.ts";

const config = documentRules(
  { default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } },
  [],
);

describe("createServer", { timeout: 30_000 }, () => {
  it("listens on a chosen port and answers /healthz, /metrics and 404", async () => {
    const server = await createServer({ port: 0, documents: { a: config } });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`ws://127.0.0.1:${server.port}/sync`);
      const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: "ok",
        connections: 0,
        documents: 0,
        pendingHandshakes: 0,
        hub: "none",
      });
      const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      expect(await metrics.text()).toContain("# TYPE converge_connections gauge\nconverge_connections 0\n");
      expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`, { method: "POST" })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it("relays between two WebSocket clients, counts them, and refuses upgrades on other paths", async () => {
    const server = await createServer({ port: 0, documents: { a: config } });
    const dial = webSocketDialer(server.url);
    const one = createReplicatedMap({ resolvers: config.rules });
    const two = createReplicatedMap({ resolvers: config.rules });
    const s1 = connect(one, { document: "a", dial });
    const s2 = connect(two, { document: "a", dial });
    try {
      await Promise.all([s1.whenSynced(), s2.whenSynced()]);
      one.increment("n:x", 2);
      two.set("title", "hello");
      const doc = await server.sync.document("a");
      await until(
        () =>
          two.get("n:x") === 2 &&
          one.get("title") === "hello" &&
          sameBytes(doc.encodeState(), one.encodeState()),
        10_000,
        () => "the writes to cross",
      );
      expect(server.sync.stats().connections).toBe(2);
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(text).toMatch(/converge_connections 2\n/);
      expect(text).toMatch(/converge_frames_in_total(\{[^}]*\})? [1-9]/);
      const wrongPath = await webSocketDialer(`ws://127.0.0.1:${server.port}/elsewhere`, {
        connectTimeoutMs: 2000,
      })(new AbortController().signal).then(
        () => "opened",
        (e: unknown) => (e as { code?: string }).code,
      );
      expect(wrongPath).toBe("WEBSOCKET_CONNECT_FAILED");
    } finally {
      await s1.close();
      await s2.close();
      await server.close();
    }
  });

  it("close() says GOING_AWAY to clients, then /healthz no longer answers", async () => {
    const server = await createServer({ port: 0, documents: { a: config } });
    const transport = await webSocketDialer(server.url)(new AbortController().signal);
    const closed = new Promise<CloseInfo>((resolve) => transport.onClose(resolve));
    await server.close();
    expect((await closed).code).toBe(CloseCode.GOING_AWAY);
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
    await server.close(); // idempotent
  });

  it("authenticate, authorize and onChange hooks reach the host", async () => {
    const changes: string[][] = [];
    const remotes = new Set<string | undefined>();
    const server = await createServer({
      port: 0,
      documents: { a: config },
      authenticate: (token, info) => {
        remotes.add(info.remote);
        if (token !== "good" && token !== "reader") throw new SyncError("UNAUTHORIZED", "bad token");
        return token;
      },
      authorize: (principal) => (principal === "reader" ? { mode: "read" } : { mode: "write" }),
      onChange: (event) => changes.push([event.document, String(event.principal), ...event.keys]),
    });
    const dial = webSocketDialer(server.url);
    const errors: string[] = [];
    // Refusals as the host reports them (a client may miss a refusal that arrives with the close).
    const hostErrors: string[] = [];
    server.sync.onError((e) => hostErrors.push(e.code));
    const bad = connect(createReplicatedMap({ resolvers: config.rules }), {
      document: "a",
      dial,
      credentials: "bad",
      backoff: { initialMs: 5_000, maxMs: 5_000 },
    });
    const badStatuses: string[] = [];
    bad.on("status", (status) => badStatuses.push(status));
    bad.on("error", (e) => errors.push(e.code));
    const writer = createReplicatedMap({ resolvers: config.rules });
    const good = connect(writer, { document: "a", dial, credentials: "good" });
    const readerMap = createReplicatedMap({ resolvers: config.rules });
    const reader = connect(readerMap, { document: "a", dial, credentials: "reader" });
    reader.on("error", (e) => errors.push(e.code));
    try {
      await Promise.all([good.whenSynced(), reader.whenSynced()]);
      // authenticate is told where each connection comes from (read from the socket when asked).
      expect([...remotes]).toEqual(["127.0.0.1"]);
      expect(reader.access()).toEqual({ mode: "read" });
      expect(good.access()).toEqual({ mode: "write" });
      writer.set("title", "from the writer");
      // The reader receives the document, and what it writes stays its own.
      await until(
        () => readerMap.get("title") === "from the writer",
        10_000,
        () => "the reader to receive",
      );
      readerMap.set("note", "from the reader");
      await until(
        () =>
          hostErrors.includes("UNAUTHORIZED") &&
          errors.includes("UNAUTHORIZED") &&
          badStatuses.includes("closed"),
        10_000,
        () => `errors ${errors}, host errors ${hostErrors}`,
      );
      expect(badStatuses).not.toContain("synced");
      await until(
        () => changes.length > 0,
        10_000,
        () => "onChange",
      );
      expect(changes[0]).toEqual(["a", "good", "title"]);
      const doc = await server.sync.document("a");
      await until(
        () => doc.get("title") === "from the writer",
        10_000,
        () => "the write",
      );
      expect(doc.get("title")).toBe("from the writer");
      await new Promise((r) => setTimeout(r, 100));
      expect(doc.has("note")).toBe(false);
      expect(writer.has("note")).toBe(false);
    } finally {
      await Promise.all([bad.close(), good.close(), reader.close()]);
      await server.close();
    }
  });

  it("a host's metrics never carry a map key", async () => {
    const metrics = memoryMetrics();
    const forwarded = memoryMetrics();
    const server = await createServer({
      port: 0,
      documents: { a: config },
      metrics: forwarded,
      authorize: () => ({ mode: "write", keys: ["allowed:*"] }),
    });
    const dial: Dialer = async () => {
      const [client, host] = memoryTransportPair();
      server.sync.accept(host);
      return client;
    };
    const map = createReplicatedMap({ resolvers: config.rules });
    const ws = createReplicatedMap({ resolvers: config.rules });
    const s1 = connect(map, { document: "a", dial, metrics });
    const s2 = connect(ws, { document: "a", dial: webSocketDialer(server.url), metrics });
    try {
      await Promise.all([s1.whenSynced(), s2.whenSynced()]);
      for (let i = 0; i < 20; i++) map.set(`allowed:zebra-secret-${i}`, i);
      map.set("forbidden:giraffe-secret", 1); // refused: outside the principal's keys
      ws.set("allowed:okapi-secret", 2);
      await until(
        () => ws.has("allowed:zebra-secret-19") && map.has("allowed:okapi-secret"),
        10_000,
        () => "relay",
      );
      await until(
        () => server.metrics.snapshot().counters.some((c) => c.name === "refusals"),
        10_000,
        () => "the refusal to be counted",
      );
      const texts = [
        JSON.stringify(server.metrics.snapshot()),
        server.metrics.prometheus(),
        JSON.stringify(forwarded.snapshot()),
        JSON.stringify(metrics.snapshot()),
        await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text(),
      ];
      for (const text of texts) {
        expect(text.length).toBeGreaterThan(50);
        expect(text).not.toMatch(/secret|allowed:|forbidden:/);
      }
      // The forwarded sink got what the server's own sink got.
      expect(forwarded.snapshot().counters.map((c) => c.name)).toEqual(
        server.metrics.snapshot().counters.map((c) => c.name),
      );
    } finally {
      await s1.close();
      await s2.close();
      await server.close();
    }
  });

  it("refuses bad options with INVALID_CONFIG and a busy port with EADDRINUSE", async () => {
    await expect(createServer({ port: 0 })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(createServer({ port: -1, documents: {} })).rejects.toMatchObject({ code: "INVALID_CONFIG" });
    await expect(createServer({ documents: {}, rulesFile: "x.json" })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
    });
    const first = await createServer({ port: 0, documents: {} });
    try {
      await expect(createServer({ port: first.port, documents: {} })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await first.close();
    }
  });
});
