import { isConvergeError } from "@converge/hlc";
import { CloseCode, type CloseInfo, type Transport } from "@converge/sync";
import { afterEach, describe, expect, it } from "vitest";
import { acceptBroadcastChannel, broadcastChannelDialer } from "../src/index.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

let n = 0;
const fresh = (): string => `connections-${n++}-${Math.random().toString(16).slice(2)}`;
const fast = { heartbeatMs: 10, timeoutMs: 80 } as const;
const open = (): AbortSignal => new AbortController().signal;

function channel(name: string): BroadcastChannel {
  const c = new BroadcastChannel(name);
  cleanups.push(() => c.close());
  return c;
}

function closeOf(t: Transport): Promise<CloseInfo> {
  return new Promise((resolve) => t.onClose(resolve));
}

const until = async (condition: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A host tab accepting on `name`, its transports collected in order. */
function host(
  name: string,
  options = fast,
): { transports: Transport[]; close: () => void; count: () => number } {
  const transports: Transport[] = [];
  const acceptor = acceptBroadcastChannel(name, (t) => transports.push(t), options);
  cleanups.push(() => acceptor.close());
  return { transports, close: acceptor.close, count: acceptor.connections };
}

describe("broadcast-channel connections", () => {
  it("two connections on one channel are independent: frames reach their own peer, one closing leaves the other", async () => {
    const name = fresh();
    const h = host(name);
    const dial = broadcastChannelDialer(name, fast);
    const one = await dial(open());
    const two = await dial(open());
    cleanups.push(
      () => one.close(),
      () => two.close(),
    );
    expect(h.transports).toHaveLength(2);
    const [p1, p2] = h.transports as [Transport, Transport];
    const got1: number[] = [];
    const got2: number[] = [];
    const back1: number[] = [];
    const back2: number[] = [];
    p1.onFrame((f) => got1.push(f[0] ?? -1));
    p2.onFrame((f) => got2.push(f[0] ?? -1));
    one.onFrame((f) => back1.push(f[0] ?? -1));
    two.onFrame((f) => back2.push(f[0] ?? -1));
    for (let i = 0; i < 20; i++) {
      one.send(new Uint8Array([i]));
      two.send(new Uint8Array([100 + i]));
    }
    p1.send(new Uint8Array([7]));
    p2.send(new Uint8Array([8]));
    await until(() => got1.length === 20 && got2.length === 20 && back1.length === 1 && back2.length === 1);
    expect(got1).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(got2).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    expect([back1, back2]).toEqual([[7], [8]]);
    const closed = closeOf(p1);
    one.close(4100, "first leaves");
    expect(await closed).toEqual({ code: 4100, reason: "first leaves", local: false });
    // The second connection keeps working, past several heartbeat timeouts.
    await new Promise((r) => setTimeout(r, 200));
    expect(two.isOpen() && p2.isOpen()).toBe(true);
    two.send(new Uint8Array([55]));
    await until(() => got2.length === 21);
    expect(got2.at(-1)).toBe(55);
    expect(h.count()).toBe(1);
  });

  it("a host tab that vanished (no goodbye, no more heartbeats) is reported as LINK_LOST", async () => {
    const name = fresh();
    // A fake host: accepts the dial by hand, then says nothing again — a tab that was killed.
    const hub = channel(`converge-hub:${name}`);
    hub.onmessage = (event: MessageEvent) => {
      const { id } = event.data as { id: string };
      const conn = channel(`converge-conn:${id}`);
      conn.postMessage({ t: "accept", from: "ghost", to: id });
    };
    const t = await broadcastChannelDialer(name, fast)(open());
    const started = Date.now();
    const info = await closeOf(t);
    expect(info.code).toBe(CloseCode.LINK_LOST);
    expect(info.local).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(fast.timeoutMs - 15);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t.isOpen()).toBe(false);
  });

  it("a dialling tab that vanished is reported as LINK_LOST on the host, which keeps accepting", async () => {
    const name = fresh();
    const h = host(name);
    const id = "0123456789abcdef0123456789abcdef";
    const conn = channel(`converge-conn:${id}`);
    const accepted = new Promise<void>((resolve) => {
      conn.onmessage = () => resolve();
    });
    channel(`converge-hub:${name}`).postMessage({ t: "dial", id });
    await accepted;
    expect(h.transports).toHaveLength(1);
    const info = await closeOf(h.transports[0] as Transport);
    expect(info.code).toBe(CloseCode.LINK_LOST);
    expect(h.count()).toBe(0);
    const later = await broadcastChannelDialer(name, fast)(open());
    cleanups.push(() => later.close());
    expect(h.count()).toBe(1);
  });

  it("a frame out of sequence closes the connection with LINK_LOST instead of delivering it", async () => {
    const name = fresh();
    const hub = channel(`converge-hub:${name}`);
    let conn: BroadcastChannel | undefined;
    let dialer = "";
    hub.onmessage = (event: MessageEvent) => {
      dialer = (event.data as { id: string }).id;
      conn = channel(`converge-conn:${dialer}`);
      conn.postMessage({ t: "accept", from: "h", to: dialer });
    };
    const t = await broadcastChannelDialer(name, { heartbeatMs: 50, timeoutMs: 5000 })(open());
    const got: number[] = [];
    t.onFrame((f) => got.push(f[0] ?? -1));
    const closing = closeOf(t);
    conn?.postMessage({ t: "frame", from: "h", to: dialer, seq: 0, data: new Uint8Array([1]) });
    conn?.postMessage({ t: "frame", from: "h", to: dialer, seq: 2, data: new Uint8Array([3]) });
    const info = await closing;
    expect(info.code).toBe(CloseCode.LINK_LOST);
    expect(got).toEqual([1]);
  });

  it("with two hosts on one name, the dialer keeps the first to answer and the other is told to close", async () => {
    const name = fresh();
    const first = host(name);
    const second = host(name);
    const t = await broadcastChannelDialer(name, fast)(open());
    cleanups.push(() => t.close());
    await until(() => first.transports.length === 1 && second.transports.length === 1);
    await until(() => first.count() + second.count() === 1);
    const winner = first.count() === 1 ? first : second;
    const got: number[] = [];
    winner.transports[0]?.onFrame((f) => got.push(f[0] ?? -1));
    t.send(new Uint8Array([9]));
    await until(() => got.length === 1);
    expect(got).toEqual([9]);
  });

  it("the host closing closes its connections with GOING_AWAY, and a dial with no host fails in time", async () => {
    const name = fresh();
    const h = host(name);
    const t = await broadcastChannelDialer(name, fast)(open());
    const closing = closeOf(t);
    h.close();
    expect(await closing).toEqual({
      code: CloseCode.GOING_AWAY,
      reason: "the host tab stopped accepting",
      local: false,
    });
    const started = Date.now();
    const error = await broadcastChannelDialer(name, { connectTimeoutMs: 50 })(open()).catch(
      (e: unknown) => e,
    );
    expect(isConvergeError(error, "BROADCAST_CONNECT_FAILED")).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("an aborted dial rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const dialing = broadcastChannelDialer(fresh(), { connectTimeoutMs: 5000 })(controller.signal).catch(
      (e: unknown) => e,
    );
    const reason = new Error("stop");
    controller.abort(reason);
    expect(await dialing).toBe(reason);
    expect(await broadcastChannelDialer(fresh())(controller.signal).catch((e: unknown) => e)).toBe(reason);
  });

  it("refuses bad options with INVALID_CONFIG", () => {
    const bad: (() => unknown)[] = [
      () => broadcastChannelDialer("x", { heartbeatMs: 0 }),
      () => broadcastChannelDialer("x", { heartbeatMs: 100, timeoutMs: 100 }),
      () => broadcastChannelDialer("x", { connectTimeoutMs: -1 }),
      () => acceptBroadcastChannel("x", () => {}, { timeoutMs: Number.NaN }),
      () => acceptBroadcastChannel("x", 5 as never),
    ];
    for (const make of bad) {
      let error: unknown;
      try {
        make();
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error, "INVALID_CONFIG"), String(make)).toBe(true);
    }
  });
});
