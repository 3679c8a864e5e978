import type { Transport } from "@converge/sync";
import { runTransportTests } from "@converge/sync/testing";
import { describe, it } from "vitest";
import { acceptBroadcastChannel, broadcastChannelDialer } from "../src/index.ts";

let n = 0;

runTransportTests(
  "BroadcastChannel (dialer end first)",
  async () => {
    const name = `contract-${n++}`;
    let peer: Transport | undefined;
    const acceptor = acceptBroadcastChannel(name, (t) => (peer = t), { heartbeatMs: 20, timeoutMs: 1000 });
    const a = await broadcastChannelDialer(name, { heartbeatMs: 20, timeoutMs: 1000 })(
      new AbortController().signal,
    );
    if (peer === undefined) throw new Error("the acceptor handed over no transport");
    return { a, b: peer, teardown: () => acceptor.close() };
  },
  { describe, it },
);

runTransportTests(
  "BroadcastChannel (host end first)",
  async () => {
    const name = `contract-host-${n++}`;
    let peer: Transport | undefined;
    const acceptor = acceptBroadcastChannel(name, (t) => (peer = t));
    const b = await broadcastChannelDialer(name)(new AbortController().signal);
    if (peer === undefined) throw new Error("the acceptor handed over no transport");
    return { a: peer, b, teardown: () => acceptor.close() };
  },
  { describe, it },
);
