import { runTransportTests } from "@converge/sync/testing";
import { describe, it } from "vitest";
import { connectedPair, testServer } from "./fixtures.ts";

// Real sockets on 127.0.0.1, a fresh server per test (closed by the kit's teardown).
runTransportTests(
  "WebSocket, client end first (platform WebSocket → ws server)",
  async () => {
    const server = await testServer();
    const { client, peer } = await connectedPair(server);
    return { a: client, b: peer, teardown: () => server.acceptor.close() };
  },
  { describe, it },
);

runTransportTests(
  "WebSocket, server end first (ws server → platform WebSocket)",
  async () => {
    const server = await testServer();
    const { client, peer } = await connectedPair(server);
    return { a: peer, b: client, teardown: () => server.acceptor.close() };
  },
  { describe, it },
);
