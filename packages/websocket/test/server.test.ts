import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { isConvergeError } from "@converge/hlc";
import { CloseCode, type CloseInfo, type Transport } from "@converge/sync";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket as WsClient } from "ws";
import { webSocketDialer, webSocketTransport } from "../src/index.ts";
import { acceptWebSockets } from "../src/server/index.ts";
import { MAX_PENDING_PONGS } from "../src/server/server-link.ts";
import { connectedPair, type TestServer, testServer } from "./fixtures.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(options: { maxFrameBytes?: number; heartbeatMs?: number } = {}): Promise<TestServer> {
  const s = await testServer(options);
  cleanups.push(() => s.acceptor.close());
  return s;
}

/** A server, a raw ws client open on it, and the server's end of that connection. */
async function rawPeer(): Promise<{ s: TestServer; raw: WsClient; peer: Transport }> {
  const s = await server();
  const raw = new WsClient(s.url);
  cleanups.push(() => raw.terminate());
  const peer = await s.next();
  await new Promise((resolve) => raw.once("open", resolve));
  return { s, raw, peer };
}

function closeOf(t: Transport): Promise<CloseInfo> {
  return new Promise((resolve) => t.onClose(resolve));
}

/** A TCP server on 127.0.0.1 that accepts and never answers (a black hole for the handshake). */
async function blackHole(): Promise<{ port: number; accepted: () => number; ended: () => number }> {
  let accepted = 0;
  let ended = 0;
  const sockets = new Set<import("node:net").Socket>();
  const s: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => {
      ended++;
      sockets.delete(socket);
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        s.close(() => resolve());
      }),
  );
  const port = (s.address() as import("node:net").AddressInfo).port;
  return { port, accepted: () => accepted, ended: () => ended };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as import("node:net").AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const until = async (condition: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("acceptWebSockets", () => {
  it("hands over each connection with the peer's address and request path", async () => {
    const infos: { remoteAddress: string | undefined; url: string }[] = [];
    const acceptor = await acceptWebSockets({
      port: 0,
      host: "127.0.0.1",
      path: "/sync",
      onTransport: (_t, info) => infos.push({ remoteAddress: info.remoteAddress, url: info.url }),
    });
    cleanups.push(() => acceptor.close());
    const dial = webSocketDialer(`ws://127.0.0.1:${acceptor.port}/sync?doc=shop`);
    const client = await dial(new AbortController().signal);
    await until(() => infos.length === 1);
    expect(infos).toEqual([{ remoteAddress: "127.0.0.1", url: "/sync?doc=shop" }]);
    expect(acceptor.connections()).toBe(1);
    client.close();
    // Another path is not upgraded: the dial fails.
    const other = webSocketDialer(`ws://127.0.0.1:${acceptor.port}/elsewhere`);
    const error = await other(new AbortController().signal).catch((e: unknown) => e);
    expect(isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")).toBe(true);
    expect(infos).toHaveLength(1);
  });

  it("drops a half-open connection (a peer that stops answering pings) with LINK_LOST", async () => {
    const s = await server({ heartbeatMs: 40 });
    const silent = new WsClient(s.url, { autoPong: false });
    cleanups.push(() => silent.terminate());
    const peer = await s.next();
    const started = Date.now();
    const info = await closeOf(peer);
    const took = Date.now() - started;
    expect(info.code).toBe(CloseCode.LINK_LOST);
    expect(info.local).toBe(false);
    expect(info.reason).toMatch(/ping/);
    expect(took).toBeGreaterThanOrEqual(35); // at least one unanswered ping interval (timer granularity aside)
    expect(took).toBeLessThan(1000);
    await until(() => s.acceptor.connections() === 0);
  });

  it("keeps a connection whose peer answers pings, across many heartbeats", async () => {
    const s = await server({ heartbeatMs: 20 });
    const { client, peer } = await connectedPair(s);
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.isOpen() && client.isOpen()).toBe(true);
    const got: number[] = [];
    peer.onFrame((f) => got.push(f.length));
    client.send(new Uint8Array(3));
    await until(() => got.length === 1);
  });

  it("answers a peer's pings with pongs carrying their data", async () => {
    const { raw, peer } = await rawPeer();
    const pongs: string[] = [];
    raw.on("pong", (data: Buffer) => pongs.push(data.toString()));
    for (let i = 0; i < 5; i++) raw.ping(`p${i}`);
    await until(() => pongs.length === 5);
    expect(pongs).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(peer.isOpen()).toBe(true);
  });

  it(`cuts off a peer whose pings outpace their pongs (over ${MAX_PENDING_PONGS} unwritten)`, async () => {
    const { s, raw, peer } = await rawPeer();
    const closing = closeOf(peer);
    // Sent in one go, they arrive together: the link handles them before any pong is written.
    for (let i = 0; i < 2000; i++) raw.ping();
    const info = await closing;
    expect(info.code).toBe(CloseCode.RATE_LIMITED);
    expect(info.reason).toMatch(/pings/);
    await until(() => s.acceptor.connections() === 0);
  });

  it("closes a connection that sends a frame over maxFrameBytes with FRAME_TOO_LARGE, on both ends", async () => {
    const s = await server({ maxFrameBytes: 1024 });
    const { client, peer } = await connectedPair(s);
    const got: number[] = [];
    peer.onFrame((f) => got.push(f.length));
    const closes = Promise.all([closeOf(client), closeOf(peer)]);
    client.send(new Uint8Array(1024)); // at the limit: delivered
    client.send(new Uint8Array(1025));
    const [c, p] = await closes;
    expect(got).toEqual([1024]);
    expect(p.code).toBe(CloseCode.FRAME_TOO_LARGE);
    expect(p.local).toBe(false);
    expect(c.code).toBe(CloseCode.FRAME_TOO_LARGE);
    // The server and its other connections are unaffected.
    const second = await connectedPair(s);
    const echoed: number[] = [];
    second.peer.onFrame((f) => echoed.push(f.length));
    second.client.send(new Uint8Array(10));
    await until(() => echoed.length === 1);
  });

  it("a server going away closes every client with GOING_AWAY, and later dials fail", async () => {
    const s = await testServer();
    const pairs = await Promise.all([connectedPair(s), connectedPair(s), connectedPair(s)]);
    const closes = Promise.all(pairs.map((p) => closeOf(p.client)));
    await s.acceptor.close();
    for (const info of await closes) {
      expect(info).toEqual({
        code: CloseCode.GOING_AWAY,
        reason: "the server is shutting down",
        local: false,
      });
    }
    await s.acceptor.close(); // idempotent
    const error = await webSocketDialer(s.url)(new AbortController().signal).catch((e: unknown) => e);
    expect(isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")).toBe(true);
  });

  it("shares a server passed in: other requests are left alone, and close leaves it listening", async () => {
    const http = createHttpServer((_req, res) => res.end("plain http"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const port = (http.address() as import("node:net").AddressInfo).port;
    const peers: Transport[] = [];
    const acceptor = await acceptWebSockets({ server: http, path: "/ws", onTransport: (t) => peers.push(t) });
    expect(acceptor.port).toBe(port);
    const client = await webSocketDialer(`ws://127.0.0.1:${port}/ws`)(new AbortController().signal);
    await until(() => peers.length === 1);
    expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe("plain http");
    const closing = closeOf(client);
    await acceptor.close();
    expect((await closing).code).toBe(CloseCode.GOING_AWAY);
    expect(http.listening).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("plain http");
  });

  it("refuses bad options with INVALID_CONFIG", async () => {
    const onTransport = (): void => {};
    for (const options of [
      { onTransport },
      { onTransport, port: 0, maxFrameBytes: 0 },
      { onTransport, port: 0, heartbeatMs: -1 },
      { onTransport, port: -5 },
    ]) {
      const error = await acceptWebSockets(options).catch((e: unknown) => e);
      expect(isConvergeError(error, "INVALID_CONFIG"), JSON.stringify(options)).toBe(true);
    }
  });
});

describe("webSocketDialer", () => {
  it("rejects a connect to a closed port with WEBSOCKET_CONNECT_FAILED, quickly", async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await webSocketDialer(`ws://127.0.0.1:${port}`)(new AbortController().signal).catch(
      (e: unknown) => e,
    );
    expect(isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")).toBe(true);
    if (!isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")) return;
    expect(error.timedOut).toBe(false);
    expect(error.closeCode).toBe(1006);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("gives up after connectTimeoutMs on a server that never answers, and closes the socket", async () => {
    const hole = await blackHole();
    const error = await webSocketDialer(`ws://127.0.0.1:${hole.port}`, { connectTimeoutMs: 100 })(
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")).toBe(true);
    if (isConvergeError(error, "WEBSOCKET_CONNECT_FAILED")) expect(error.timedOut).toBe(true);
    expect(hole.accepted()).toBe(1);
    await until(() => hole.ended() === 1);
  });

  it("honours an abort: rejects with the signal's reason and closes the socket", async () => {
    const hole = await blackHole();
    const controller = new AbortController();
    const dialing = webSocketDialer(`ws://127.0.0.1:${hole.port}`)(controller.signal).catch(
      (e: unknown) => e,
    );
    await until(() => hole.accepted() === 1);
    const reason = new Error("gave up");
    controller.abort(reason);
    expect(await dialing).toBe(reason);
    await until(() => hole.ended() === 1);
    // (Node's undici then opens a second connection for the abandoned handshake by itself: not ours.)
    await new Promise((r) => setTimeout(r, 50));
    const before = hole.accepted();
    // Already aborted: rejects at once, opens nothing.
    expect(
      await webSocketDialer(`ws://127.0.0.1:${hole.port}`)(controller.signal).catch((e: unknown) => e),
    ).toBe(reason);
    await new Promise((r) => setTimeout(r, 50));
    expect(hole.accepted()).toBe(before);
  });

  it("refuses bad options with INVALID_CONFIG when made", () => {
    for (const connectTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        webSocketDialer("ws://127.0.0.1:1", { connectTimeoutMs });
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "INVALID_CONFIG"), String(connectTimeoutMs)).toBe(true);
    }
  });
});

describe("webSocketTransport", () => {
  it("wraps an open socket, and refuses one still connecting", async () => {
    const s = await server();
    const socket = new WebSocket(s.url);
    cleanups.push(() => socket.close());
    let error: unknown;
    try {
      webSocketTransport(socket);
    } catch (e) {
      error = e;
    }
    expect(isConvergeError(error, "INVALID_CONFIG")).toBe(true);
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    const client = webSocketTransport(socket);
    const peer = await s.next();
    const got: number[][] = [];
    peer.onFrame((f) => got.push([...f]));
    client.send(new Uint8Array([1, 2, 3]));
    await until(() => got.length === 1);
    expect(got).toEqual([[1, 2, 3]]);
  });

  it("delivers a fragmented message as one frame, keeps every frame intact, and counts connections out", async () => {
    const { s, raw, peer } = await rawPeer();
    const kept: Uint8Array[] = [];
    peer.onFrame((f) => kept.push(f));
    // One message in three fragments, then two whole ones reusing the client's buffer.
    raw.send(new Uint8Array([1, 2]), { binary: true, fin: false });
    raw.send(new Uint8Array([3]), { binary: true, fin: false });
    raw.send(new Uint8Array([4, 5]), { binary: true, fin: true });
    const buf = new Uint8Array([9, 9, 9]);
    raw.send(buf, { binary: true });
    buf.fill(7);
    raw.send(buf, { binary: true });
    await until(() => kept.length === 3);
    expect(kept.map((f) => [...f])).toEqual([
      [1, 2, 3, 4, 5],
      [9, 9, 9],
      [7, 7, 7],
    ]);
    // Closed from the client's end: the peer hears it and the acceptor counts it out.
    const closing = closeOf(peer);
    raw.close(4321, "bye");
    const info = await closing;
    expect([info.code, info.reason, info.local]).toEqual([4321, "bye", false]);
    await until(() => s.acceptor.connections() === 0);
    // Closed from the server's end: the client hears the code, the acceptor counts it out.
    const other = new WsClient(s.url);
    cleanups.push(() => other.terminate());
    const second = await s.next();
    await new Promise((resolve) => other.once("open", resolve));
    expect(s.acceptor.connections()).toBe(1);
    const heard = new Promise<number>((resolve) => other.once("close", (code: number) => resolve(code)));
    second.close(4001, "done");
    expect(second.isOpen()).toBe(false);
    expect(await heard).toBe(4001);
    await until(() => s.acceptor.connections() === 0);
  });

  it("closes with MALFORMED when the peer sends a text message", async () => {
    const { raw, peer } = await rawPeer();
    const closing = closeOf(peer);
    raw.send("hello");
    const info = await closing;
    expect(info.code).toBe(CloseCode.MALFORMED);
    expect(info.local).toBe(true);
  });
});
