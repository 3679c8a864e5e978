import type { ClusterResult } from "./run-cluster.ts";

/**
 * The prose above the cluster tables in bench/README.md: the workload and what each number
 * means, precisely enough to reproduce it, and what a small machine cannot show.
 */
export function clusterReadmeText(r: ClusterResult): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;
  return [
    "### Scale-out through Redis, side by side with Hocuspocus + Redis",
    "",
    `\`BENCH_ONLY=cluster\` (or \`pnpm --filter @converge/bench run bench:cluster\` alone; settings in \`bench/src/cluster/main.ts\`)${r.measuredAt === "" ? "" : `, measured ${r.measuredAt.slice(0, 16).replace("T", " ")} UTC`}. converge's server with \`@converge/redis\`'s hub (\`createServer({ …, hub: redisHub({ url }) })\`, what \`converge serve --redis\` runs) and Hocuspocus 4 with \`@hocuspocus/extension-redis\` (its scaling setup: every instance publishes a document's changes on a Redis pub/sub channel and answers its peers' sync requests), one after the other on the same private \`redis-server\` (${r.redisVersion ?? "7"}, 127.0.0.1, no persistence) that the bench starts, with a \`FLUSHALL\` and \`CONFIG RESETSTAT\` before every run. Each configuration runs 1, 2 and 3 server processes (children forked for one run, in-memory, nothing stored) and ${r.clients} clients on one document, spread evenly in contiguous blocks (server 1 gets the first clients), all in the bench process on the platform's WebSocket; presence/awareness off. Systems alternate run by run; repetitions continue only while the run projects within ${s(r.budgetMs)} (${r.repsRun} of ${r.reps} ran).`,
    "",
    `- **Paced phase (latency).** Every client writes its own new key (\`p<i>:<n>\`, a small integer) ${r.rate} times a second for ${s(r.pacedMs)}, starts staggered; a write that comes due while its client has ${r.inflight} unacknowledged writes is skipped and counted (none should be). **p50/p99/max**: from a write on a client of server 1 (\`performance.now()\` before the call) to the change event for that key on one of the last ${r.observers} clients of server N — with 1 server both on the same server, with 2 server 1 → server 2, with 3 server 1 → server 3 — one process, one clock. **acked ops/s**: writes the servers acknowledged during the window (converge: the session's outbox; Hocuspocus: the provider's unsynced changes) ÷ its length. **server CPU/op**: user + system CPU of every server process from the phase's start until it drained ÷ writes; **/delivery**: ÷ writes × (clients − 1).`,
    `- **Burst phase (throughput).** Every client keeps ${r.inflight} unacknowledged writes (\`b<i>:<n>\`) for ${s(r.burstMs)}, topping up every 2 ms. **acked ops/s** as above; **visible ops/s**: remote changes all clients saw during the window ÷ (clients − 1) ÷ its length; **drain**: from the window's end until every client had seen every write and every write was acknowledged.`,
    "- **Redis.** Its own CPU (INFO `used_cpu_user + used_cpu_sys`) and traffic (INFO `total_net_input_bytes + total_net_output_bytes`) per write, per phase; at the end, `used_memory` minus right after the `FLUSHALL`, `DBSIZE`, streams (`SCAN … TYPE stream`) and Σ `XLEN`.",
    "- **Checked against what was written.** After each phase every client must have seen exactly every other client's writes (counts), and after both, one client per server must read every key with the value written; a run that fails either, or any wait past the timeout, is listed in its row's note and left out of the medians.",
    "",
    "**What a 2-core machine can and cannot show.** The clients, every server process and Redis share the cores, so a second and third server add work (each relays every write to its own clients and publishes to or reads from Redis) without adding capacity: these rows measure the cost of the Redis path and of each extra server, per write and per delivery, and the latency of one hop through Redis. They cannot show throughput growing with servers; that needs a core (better, a machine) per server process and clients elsewhere. CPU per op and per delivery are the numbers that carry over to a bigger machine.",
  ].join("\n");
}
