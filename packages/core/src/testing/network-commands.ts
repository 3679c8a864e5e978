// commandsArb: the fast-check commands of a network schedule (writes, sends, drops, partitions, restarts…).
import fc from "fast-check";
import { compileKeyRules } from "../key-rules.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import type { Value } from "../value.ts";
import type { NetworkOptions } from "./network-options.ts";
import type { Message, Network } from "./simulated-network.ts";
import type { WorkerMerger } from "./worker-merge.ts";
/** One command of a schedule, run against the simulated network. */
export type Cmd = fc.AsyncCommand<object, Network>;

/** A command; after it runs, every replica is checked against the specification. */
function command(label: string, run: (net: Network) => void | Promise<void>): Cmd {
  return {
    check: () => true,
    run: async (_m, net) => {
      net.log.push(label);
      await run(net);
      net.checkSpecs();
      net.recordVectors();
    },
    toString: () => label,
  };
}

/**
 * The network simulator: fast-check commands over `n` replicas — local writes, increments and
 * deletes; sending full states and deltas; delivering, duplicating, reordering and dropping
 * messages (ops are broadcast as they happen); replays of archived (stale) payloads to any
 * replica; compaction with peers' current or earlier vectors; partitions and healing; restarts
 * from encoded state; concurrent chunked merges on one replica while it keeps writing; and merges run in
 * worker threads. After every command each replica is checked against the specification.
 */
export function commandsArb(
  n: number,
  options: NetworkOptions,
  values: fc.Arbitrary<Value>,
  amounts: fc.Arbitrary<number>,
  merger: WorkerMerger | undefined,
): fc.Arbitrary<Iterable<Cmd>> {
  const r = fc.nat(n - 1);
  const key = fc.constantFrom(...options.keys);
  const arbs: fc.Arbitrary<Cmd>[] = [
    fc
      .tuple(r, key, values)
      .map(([i, k, v]) =>
        command(`r${i}.set(${JSON.stringify(k)}, ${JSON.stringify(v)})`, (net) => net.local(i, k, "set", v)),
      ),
    fc
      .tuple(r, key, amounts)
      .map(([i, k, a]) =>
        command(`r${i}.increment(${JSON.stringify(k)}, ${a})`, (net) => net.local(i, k, "increment", a)),
      ),
    fc
      .tuple(r, key)
      .map(([i, k]) =>
        command(`r${i}.delete(${JSON.stringify(k)})`, (net) => net.local(i, k, "delete", undefined)),
      ),
    fc.tuple(r, r, fc.constantFrom("state" as const, "delta" as const)).map(([a, b, how]) =>
      command(`send ${how} r${a}→r${b}`, (net) => {
        if (a !== b) net.send(a, b, how);
      }),
    ),
    fc.tuple(fc.nat(), fc.boolean()).map(([pick, dup]) =>
      command(`${dup ? "duplicate+deliver" : "deliver"} #${pick}`, (net) => {
        const live = net.inflight.filter((m) => net.connected(m.from, m.to));
        const msg = live[pick % Math.max(1, live.length)];
        if (msg === undefined) return;
        if (!dup) net.inflight.splice(net.inflight.indexOf(msg), 1);
        net.deliver(msg);
      }),
    ),
    fc.nat().map((pick) =>
      command(`drop #${pick}`, (net) => {
        if (net.inflight.length > 0) net.inflight.splice(pick % net.inflight.length, 1);
      }),
    ),
    fc.array(fc.nat(1), { minLength: n, maxLength: n }).map((groups) =>
      command(`partition [${groups.join(",")}]`, (net) => {
        groups.forEach((g, i) => {
          net.partition[i] = g;
        });
      }),
    ),
    fc.constant(
      command("heal", (net) => {
        net.partition.fill(0);
      }),
    ),
    r.map((i) => command(`restart r${i}`, (net) => net.restart(i))),
    fc
      .tuple(r, fc.array(fc.nat(3), { minLength: n, maxLength: n }))
      .map(([i, ages]) =>
        command(`r${i}.compact(peers' vectors, ages [${ages.join(",")}])`, (net) => net.compact(i, ages)),
      ),
    fc
      .tuple(fc.nat(), r)
      .map(([pick, to]) => command(`replay archived #${pick} to r${to}`, (net) => net.replay(pick, to))),
    fc.integer({ min: 1, max: 2000 }).map((ms) =>
      command(`tick ${ms}ms`, (net) => {
        net.now += ms;
      }),
    ),
    fc
      .tuple(
        r,
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(key, values), { maxLength: 3 }),
      )
      .map(([i, picks, writes]) =>
        command(
          `r${i} applies #${picks.join(",")} chunked while writing ${JSON.stringify(writes)}`,
          async (net) => {
            const mine = net.inflight.filter((m) => m.to === i && net.connected(m.from, m.to));
            const chosen = [...new Set(picks.map((p) => mine[p % Math.max(1, mine.length)]))].filter(
              (m): m is Message => m !== undefined,
            );
            if (chosen.length === 0) return;
            for (const c of chosen) net.inflight.splice(net.inflight.indexOf(c), 1);
            const registerWrites = writes.filter(
              ([k]) => compileKeyRules(options.rules).resolverFor(k).set !== undefined,
            );
            await net.deliverChunked(chosen, registerWrites);
          },
        ),
      ),
  ];
  if (merger !== undefined) {
    arbs.push(
      fc.tuple(r, fc.array(r, { minLength: 2, maxLength: 4 })).map(([into, sources]) =>
        command(
          `workers merge states of ${sources.map((s) => `r${s}`).join(",")} in parallel, then into r${into}`,
          async (net) => {
            const payloads = sources.map((s) => (net.replicas[s] as ReplicatedMap).encodeState());
            const seen = sources.map((s) => net.snapshotSeen(s));
            // Two halves merged at the same time in two worker threads; their results merged here.
            const half = Math.ceil(payloads.length / 2);
            const results = await Promise.all([
              merger.merge(payloads.slice(0, half)),
              merger.merge(payloads.slice(half)),
            ]);
            for (const merged of results) (net.replicas[into] as ReplicatedMap).applyState(merged);
            for (const s of seen) net.learn(into, s);
          },
        ),
      ),
    );
  }
  return fc.commands(arbs, { maxCommands: options.maxCommands ?? 40, size: "max" });
}
