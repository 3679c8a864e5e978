// A "tab" for vanished-peer tests: it hosts the channel named in workerData and echoes every
// frame back, until the test terminates the thread (a tab closed without saying goodbye).
import { parentPort, workerData } from "node:worker_threads";
import { acceptBroadcastChannel } from "../src/index.ts";

const { name } = workerData as { name: string };
acceptBroadcastChannel(
  name,
  (t) => {
    t.onFrame((f) => t.send(f));
  },
  { heartbeatMs: 10, timeoutMs: 80 },
);
parentPort?.postMessage("ready");
