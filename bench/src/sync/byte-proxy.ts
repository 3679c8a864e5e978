import { connect, createServer, type Socket } from "node:net";

/** A TCP relay on 127.0.0.1 that counts every byte it forwards (socket level: HTTP upgrade, WebSocket framing and payload). */
export interface ByteProxy {
  readonly port: number;
  /** Bytes from clients to the server since the last {@link ByteProxy.reset}. */
  readonly up: () => number;
  /** Bytes from the server to clients since the last reset. */
  readonly down: () => number;
  /** Zeroes both counters. */
  readonly reset: () => void;
  /** Destroys every relayed connection and stops listening. */
  readonly close: () => Promise<void>;
}

/** Starts a counting relay in front of `127.0.0.1:targetPort`. */
export async function startByteProxy(targetPort: number): Promise<ByteProxy> {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    track(client);
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk: Buffer) => {
      up += chunk.length;
    });
    upstream.on("data", (chunk: Buffer) => {
      down += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("byte proxy: no port");
  return {
    port: address.port,
    up: () => up,
    down: () => down,
    reset: () => {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
