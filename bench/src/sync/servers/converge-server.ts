import { createServer } from "@converge/server";
import { BENCH_RULES } from "../bench-rules.ts";
import type { RunningServer } from "../server-messages.ts";

/**
 * converge's server as `converge serve` runs it (in-memory store, default limits), every
 * document name served with the bench's rules, on 127.0.0.1 and a free port.
 */
export async function startConvergeServer(): Promise<RunningServer> {
  const server = await createServer({
    port: 0,
    host: "127.0.0.1",
    documents: () => ({ rules: BENCH_RULES }),
  });
  return { port: server.port, close: () => server.close() };
}
