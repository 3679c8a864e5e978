import { describe, expect, it } from "vitest";
import { wrapWebSocket } from "../src/wrap-web-socket.ts";

/** An open WebSocket as far as the wrapper reads one: events are dispatched by the test. */
function fakeSocket(): WebSocket & { readonly frame: (bytes: number[]) => void } {
  const target = new EventTarget();
  return Object.assign(target, {
    readyState: 1,
    binaryType: "blob",
    bufferedAmount: 0,
    send: () => {},
    close: () => {},
    frame: (bytes: number[]) =>
      target.dispatchEvent(Object.assign(new Event("message"), { data: new Uint8Array(bytes).buffer })),
  }) as unknown as WebSocket & { readonly frame: (bytes: number[]) => void };
}

// The wrapper keeps its listeners in arrays replaced on each change (a server wraps thousands of
// sockets, each with a listener or two); they must behave as the Sets they replaced.
describe("a wrapped socket's listeners", () => {
  it("call a listener added twice once, remove by identity, and call each frame's listeners as they were", () => {
    const socket = fakeSocket();
    const transport = wrapWebSocket(socket);
    const calls: string[] = [];
    const a = (f: Uint8Array): void => {
      calls.push(`a${f[0]}`);
      offB(); // removed during a call: b still hears this frame, not the next
    };
    const b = (f: Uint8Array): void => {
      calls.push(`b${f[0]}`);
    };
    const offA = transport.onFrame(a);
    transport.onFrame(a);
    const offB = transport.onFrame(b);
    socket.frame([1]);
    socket.frame([2]);
    offA();
    socket.frame([3]);
    expect(calls).toEqual(["a1", "b1", "a2"]);
    transport.onFrame(b);
    socket.frame([4]);
    expect(calls).toEqual(["a1", "b1", "a2", "b4"]);
  });

  it("tell every close listener once, then take no more listeners", async () => {
    const socket = fakeSocket();
    const transport = wrapWebSocket(socket);
    const closes: number[] = [];
    const frames: number[] = [];
    const one = (i: { code: number }): void => {
      closes.push(i.code);
    };
    transport.onClose(one);
    transport.onClose(one);
    const offTwo = transport.onClose(() => closes.push(-1));
    offTwo();
    transport.onClose((i) => closes.push(i.code + 1));
    transport.onFrame((f) => frames.push(f[0] as number));
    transport.close(4000, "bye");
    await Promise.resolve();
    expect(closes).toEqual([4000, 4001]);
    transport.onClose(one);
    transport.onFrame((f) => frames.push(f[0] as number));
    socket.frame([9]);
    expect([closes, frames]).toEqual([[4000, 4001], []]);
  });
});
