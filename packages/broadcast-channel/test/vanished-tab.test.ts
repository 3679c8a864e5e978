import { Worker } from "node:worker_threads";
import { CloseCode } from "@converge/sync";
import { afterEach, describe, expect, it } from "vitest";
import { broadcastChannelDialer } from "../src/index.ts";

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.terminate();
});

describe("a host in another thread (another tab)", () => {
  it("echoes across threads, and when the thread dies without goodbye the dialer reports LINK_LOST", async () => {
    const name = `worker-host-${Math.random().toString(16).slice(2)}`;
    const worker = new Worker(new URL("./host-worker.ts", import.meta.url), {
      workerData: { name },
      execArgv: ["--conditions=@converge/source"],
    });
    workers.push(worker);
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    const t = await broadcastChannelDialer(name, { heartbeatMs: 10, timeoutMs: 80 })(
      new AbortController().signal,
    );
    const echoed: number[] = [];
    t.onFrame((f) => echoed.push(f[0] ?? -1));
    for (let i = 0; i < 10; i++) t.send(new Uint8Array([i]));
    const deadline = Date.now() + 3000;
    while (echoed.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(echoed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const closed = new Promise<{ code: number; local: boolean }>((resolve) => t.onClose(resolve));
    const killed = Date.now();
    await worker.terminate();
    const info = await closed;
    expect(info.code).toBe(CloseCode.LINK_LOST);
    expect(info.local).toBe(false);
    expect(Date.now() - killed).toBeLessThan(2000);
  });
});
