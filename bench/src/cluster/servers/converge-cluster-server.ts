import { redisHub } from "@converge/redis";
import { createServer } from "@converge/server";
import { BENCH_RULES } from "../../sync/bench-rules.ts";
import type { RunningServer } from "../../sync/server-messages.ts";

/**
 * converge's server as `converge serve --redis <url>` runs it: the bench's rules for every
 * document, an in-memory store, and `@converge/redis`'s hub (one Redis Stream per document,
 * default trimming and timeouts), on 127.0.0.1 and a free port. Counts how often the hub's
 * circuit opened (Redis unreachable or slower than its command timeout).
 */
export async function startConvergeClusterServer(redisUrl: string): Promise<RunningServer> {
  const hub = redisHub({ url: redisUrl });
  const options = { port: 0, host: "127.0.0.1", documents: () => ({ rules: BENCH_RULES }), hub };
  const server = await createServer(options);
  let downs = 0;
  hub.onStatus((up) => {
    if (!up) downs++;
  });
  return {
    port: server.port,
    hubDowns: () => downs,
    close: async () => {
      await server.close();
      await hub.close();
    },
  };
}
