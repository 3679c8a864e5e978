import type { Transport } from "@converge/sync";
import { webSocketDialer } from "../src/index.ts";
import { acceptWebSockets, type WebSocketAcceptor } from "../src/server/index.ts";

/** An acceptor on 127.0.0.1 (a random port) whose transports are queued for the test to take. */
export interface TestServer {
  readonly acceptor: WebSocketAcceptor;
  readonly url: string;
  /** The next server-side transport (waits for it, up to 5 s). */
  readonly next: () => Promise<Transport>;
}

export async function testServer(
  options: { maxFrameBytes?: number; heartbeatMs?: number } = {},
): Promise<TestServer> {
  const queue: Transport[] = [];
  const waiting: ((t: Transport) => void)[] = [];
  const acceptor = await acceptWebSockets({
    port: 0,
    host: "127.0.0.1",
    maxFrameBytes: options.maxFrameBytes ?? 4 * 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 1000,
    onTransport: (t) => {
      const w = waiting.shift();
      if (w === undefined) queue.push(t);
      else w(t);
    },
  });
  const next = (): Promise<Transport> => {
    const t = queue.shift();
    if (t !== undefined) return Promise.resolve(t);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no connection within 5 s")), 5000);
      waiting.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  };
  return { acceptor, url: `ws://127.0.0.1:${acceptor.port}`, next };
}

/** A connected pair: the client (platform WebSocket) and the server's transport. */
export async function connectedPair(server: TestServer): Promise<{ client: Transport; peer: Transport }> {
  const dial = webSocketDialer(server.url, { connectTimeoutMs: 5000 });
  const [client, peer] = await Promise.all([dial(new AbortController().signal), server.next()]);
  return { client, peer };
}
