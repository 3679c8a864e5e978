import { createServer } from "@converge/server";
import type { Hub } from "@converge/sync";
import { BENCH_RULES } from "../../sync/bench-rules.ts";
import type { RunningServer } from "../../sync/server-messages.ts";

/** The part of `@converge/redis` the bench uses. */
interface RedisModule {
  readonly redisHub: (options: { readonly url: string }) => Hub;
}

/**
 * converge's server as `converge serve --redis <url>` runs it: the bench's rules for every
 * document, an in-memory store, and `@converge/redis`'s hub (one Redis Stream per document), on
 * 127.0.0.1 and a free port.
 */
export async function startConvergeClusterServer(redisUrl: string): Promise<RunningServer> {
  // Until @converge/redis is on this branch: its module is loaded by name at run time.
  const name = "@converge/redis";
  const { redisHub } = (await import(name)) as RedisModule;
  const hub = redisHub({ url: redisUrl });
  const options = { port: 0, host: "127.0.0.1", documents: () => ({ rules: BENCH_RULES }), hub };
  const server = await createServer(options);
  return {
    port: server.port,
    close: async () => {
      await server.close();
      await hub.close();
    },
  };
}
