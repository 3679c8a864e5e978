import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CALM, createFaultProxy, type FaultProxy, type Faults } from "./support/fault-proxy.ts";

/** A TCP echo server that counts its connections and closes. */
async function echoServer(): Promise<{
  server: Server;
  port: number;
  accepted: () => number;
  closed: () => number;
}> {
  let accepted = 0;
  let closed = 0;
  const server = createServer((s) => {
    accepted++;
    s.on("close", () => closed++);
    s.on("error", () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port, accepted: () => accepted, closed: () => closed };
}

const only = (fate: "reset" | "blackhole" | "halfOpen", extra: Partial<Faults> = {}): Faults => ({
  ...CALM,
  [fate]: 1,
  faultWithinMs: 50,
  maxLifetimeMs: 400,
  ...extra,
});

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

const closedWithin = (s: Socket, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    s.once("close", () => {
      clearTimeout(t);
      resolve(true);
    });
  });

describe("fault proxy", () => {
  const open: { proxy?: FaultProxy; server?: Server; sockets: Socket[] } = { sockets: [] };
  afterEach(async () => {
    for (const s of open.sockets) s.destroy();
    open.sockets = [];
    await open.proxy?.close();
    await new Promise<void>((r) => (open.server ? open.server.close(() => r()) : r()));
  });

  it("passes bytes in order through latency and split writes", async () => {
    const echo = await echoServer();
    open.server = echo.server;
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: echo.port },
      seed: 7,
      faults: { ...CALM, latencyMs: [0, 15], split: 0.5 },
    });
    open.proxy = proxy;
    const s = await dial(proxy.port);
    open.sockets.push(s);
    const sent: number[] = [];
    const got: number[] = [];
    s.on("data", (b: Buffer) => got.push(...b));
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.from([i % 256, (i * 7) % 256, (i * 13) % 256]);
      sent.push(...chunk);
      s.write(chunk);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    const deadline = Date.now() + 5000;
    while (got.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(sent);
    expect(proxy.stats().fates.pass).toBe(1);
  });

  it("a black hole accepts and swallows: the server never sees the connection", async () => {
    const echo = await echoServer();
    open.server = echo.server;
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: echo.port },
      seed: 1,
      faults: only("blackhole"),
    });
    open.proxy = proxy;
    const s = await dial(proxy.port);
    open.sockets.push(s);
    let got = 0;
    s.on("data", (b: Buffer) => {
      got += b.length;
    });
    s.write("hello");
    expect(await closedWithin(s, 150)).toBe(false);
    expect(got).toBe(0);
    expect(echo.accepted()).toBe(0);
    // Bounded lifetime: it does end.
    expect(await closedWithin(s, 1000)).toBe(true);
    expect(proxy.stats().bytesSwallowed).toBe(5);
  });

  it("a reset ends both sides", async () => {
    const echo = await echoServer();
    open.server = echo.server;
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: echo.port },
      seed: 2,
      faults: only("reset"),
    });
    open.proxy = proxy;
    const s = await dial(proxy.port);
    s.on("error", () => {});
    open.sockets.push(s);
    expect(await closedWithin(s, 1000)).toBe(true);
    const deadline = Date.now() + 1000;
    while (echo.closed() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(echo.closed()).toBe(1);
  });

  it("half-open: the server sees the connection close while the client's stays open and swallows", async () => {
    const echo = await echoServer();
    open.server = echo.server;
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: echo.port },
      seed: 3,
      faults: only("halfOpen", { maxLifetimeMs: 600 }),
    });
    open.proxy = proxy;
    const s = await dial(proxy.port);
    open.sockets.push(s);
    const deadline = Date.now() + 1000;
    while (echo.closed() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(echo.closed()).toBe(1);
    let got = 0;
    s.on("data", (b: Buffer) => {
      got += b.length;
    });
    s.write("anyone?");
    expect(await closedWithin(s, 150)).toBe(false);
    expect(got).toBe(0);
    expect(await closedWithin(s, 1500)).toBe(true);
  });

  it("calm() destroys faulty connections and passes new ones", async () => {
    const echo = await echoServer();
    open.server = echo.server;
    const proxy = await createFaultProxy({
      target: { host: "127.0.0.1", port: echo.port },
      seed: 4,
      faults: only("blackhole", { maxLifetimeMs: 60_000 }),
    });
    open.proxy = proxy;
    const stuck = await dial(proxy.port);
    open.sockets.push(stuck);
    expect(await closedWithin(stuck, 100)).toBe(false);
    proxy.calm();
    expect(await closedWithin(stuck, 500)).toBe(true);
    const s = await dial(proxy.port);
    open.sockets.push(s);
    const reply = new Promise<string>((r) => s.once("data", (b: Buffer) => r(b.toString())));
    s.write("ping");
    expect(await reply).toBe("ping");
  });

  it("the same seed draws the same fates", async () => {
    const fatesOf = async (seed: number): Promise<string> => {
      const echo = await echoServer();
      const proxy = await createFaultProxy({
        target: { host: "127.0.0.1", port: echo.port },
        seed,
        faults: {
          ...CALM,
          reset: 0.3,
          blackhole: 0.3,
          halfOpen: 0.2,
          faultWithinMs: 10_000,
          maxLifetimeMs: 10_000,
        },
      });
      const sockets: Socket[] = [];
      for (let i = 0; i < 12; i++) {
        const s = await dial(proxy.port);
        s.on("error", () => {});
        sockets.push(s);
      }
      await new Promise((r) => setTimeout(r, 50));
      const fates = JSON.stringify(proxy.stats().fates);
      for (const s of sockets) s.destroy();
      await proxy.close();
      await new Promise<void>((r) => echo.server.close(() => r()));
      return fates;
    };
    const a = await fatesOf(99);
    expect(await fatesOf(99)).toBe(a);
    expect(JSON.parse(a)).not.toEqual({ pass: 12, reset: 0, blackhole: 0, halfOpen: 0 });
  });
});
