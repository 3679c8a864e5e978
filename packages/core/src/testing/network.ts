import { ConvergeError, isConvergeError, type Timestamp } from "@converge/hlc";
import fc from "fast-check";
import type { KeyRulesConfig } from "../key-rules.ts";
import { compileKeyRules } from "../key-rules.ts";
import { createReplicatedMap } from "../replicated-map.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import type { Value } from "../value.ts";
import type { VersionVector } from "../version-vector.ts";
import { toHex } from "./encode-state.ts";
import { replicaNode, SIMULATED_EPOCH } from "./history.ts";
import { smallValues } from "./laws.ts";
import { type RunOptions, runConfig } from "./run-config.ts";
import { builtinSpecs, type Spec, type SpecOp } from "./specs.ts";
import { type WorkerMerger, workerMerger } from "./worker-merge.ts";

/** Options of {@link checkConvergence}. */
export interface NetworkOptions extends RunOptions {
  /** The map's key rules, as given to `createReplicatedMap`. */
  readonly rules: KeyRulesConfig;
  /** Keys the replicas operate on (pick some for each key rule). */
  readonly keys: readonly string[];
  /** Values to write; default small JSON values. */
  readonly values?: fc.Arbitrary<Value>;
  /** Amounts to add; default -3..5 without 0. */
  readonly amounts?: fc.Arbitrary<number>;
  /** Replicas per schedule; default 2 to 5, at most 7. */
  readonly replicas?: { readonly min?: number; readonly max?: number };
  /** Longest schedule, in commands; default 40. */
  readonly maxCommands?: number;
  /** Specifications by resolver id; the built-ins' are included. A resolver without one is only checked for convergence. */
  readonly specs?: Readonly<Record<string, Spec>>;
  /**
   * Also merge in `worker_threads` (Node only): a module exporting the same key rules, loaded in
   * each worker. Worker merges are skipped when absent.
   */
  readonly workers?: { readonly module: string | URL; readonly exportName: string };
  /** Replays one counterexample (with `seed`), as printed in a failure. */
  readonly path?: string;
}

/** What {@link checkConvergence} found. */
export interface ConvergenceReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly runs: number;
  readonly path?: string;
  /** The shrunk schedule and what went wrong. */
  readonly counterexample?: string;
}

interface Message {
  readonly from: number;
  readonly to: number;
  readonly bytes: Uint8Array;
  readonly kind: "state" | "delta" | "op";
  /** What the receiver learns: operations by key, as the sender had seen them when sending. */
  readonly seen: ReadonlyMap<string, readonly SpecOp[]>;
}

class Violation extends Error {}

/** The system under test: replicas, the messages in flight, and what each replica has seen. */
class Network {
  readonly replicas: ReplicatedMap[];
  readonly seen: Map<string, Map<string, SpecOp>>[];
  readonly inflight: Message[] = [];
  /** Every message ever sent (the latest 64), kept to be replayed late: stale copies. */
  readonly archive: Message[] = [];
  /** Each replica's recent version vectors (newest last), as a peer may report them late. */
  readonly vectors: VersionVector[][];
  readonly partition: number[];
  readonly log: string[] = [];
  now = SIMULATED_EPOCH;
  readonly #rules: KeyRulesConfig;
  readonly #specs: Readonly<Record<string, Spec>>;
  readonly #resolverId: (key: string) => string;

  readonly #keys: readonly string[];

  constructor(
    n: number,
    rules: KeyRulesConfig,
    specs: Readonly<Record<string, Spec>>,
    keys: readonly string[],
  ) {
    this.#keys = keys;
    this.#rules = rules;
    this.#specs = specs;
    const compiled = compileKeyRules(rules);
    this.#resolverId = (key) => compiled.resolverFor(key).id;
    this.seen = Array.from({ length: n }, () => new Map());
    this.partition = new Array<number>(n).fill(0);
    this.replicas = Array.from({ length: n }, (_, i) => this.#make(i));
    this.vectors = this.replicas.map((m) => [m.versionVector()]);
  }

  /** Sends a message: in flight, and archived for late replays. */
  post(msg: Message): void {
    this.inflight.push(msg);
    this.archive.push(msg);
    if (this.archive.length > 64) this.archive.shift();
  }

  /** Remembers every replica's current version vector (a few per replica). */
  recordVectors(): void {
    this.replicas.forEach((m, i) => {
      const list = this.vectors[i] as VersionVector[];
      list.push(m.versionVector());
      if (list.length > 4) list.shift();
    });
  }

  /**
   * Compacts replica `i` with a version vector of every other replica, each `ages[j]` reports
   * old: a vector a peer reported earlier is still a lower bound of what it has seen.
   */
  compact(i: number, ages: readonly number[]): void {
    const peers: VersionVector[] = [];
    for (let j = 0; j < this.replicas.length; j++) {
      if (j === i) continue;
      const list = this.vectors[j] as VersionVector[];
      peers.push(list[Math.max(0, list.length - 1 - (ages[j] ?? 0))] as VersionVector);
    }
    (this.replicas[i] as ReplicatedMap).compact(peers);
  }

  /** Delivers a copy of an archived message to replica `to` (any payload may arrive anywhere, late). */
  replay(pick: number, to: number): void {
    const msg = this.archive[pick % Math.max(1, this.archive.length)];
    if (msg === undefined) return;
    this.deliver({ ...msg, to });
  }

  #make(i: number, state?: Uint8Array): ReplicatedMap {
    const m = createReplicatedMap({
      resolvers: this.#rules,
      clockOptions: { node: replicaNode(i), now: () => this.now, maxDrift: Number.POSITIVE_INFINITY },
      ...(state === undefined ? {} : { state }),
    });
    return m;
  }

  /** Every operation `replica` has seen, by key, frozen as a message payload. */
  snapshotSeen(replica: number): Map<string, readonly SpecOp[]> {
    const out = new Map<string, readonly SpecOp[]>();
    for (const [k, ops] of this.seen[replica] ?? []) out.set(k, [...ops.values()]);
    return out;
  }

  learn(replica: number, seen: ReadonlyMap<string, readonly SpecOp[]>): void {
    const mine = this.seen[replica] as Map<string, Map<string, SpecOp>>;
    for (const [k, ops] of seen) {
      let m = mine.get(k);
      if (m === undefined) {
        m = new Map();
        mine.set(k, m);
      }
      for (const o of ops) m.set(o.id, o);
    }
  }

  /** Runs a local operation and records it for the specification; broadcasts it as an op. */
  local(replica: number, key: string, kind: SpecOp["kind"], arg: unknown): void {
    const m = this.replicas[replica] as ReplicatedMap;
    // Time moves only on "tick" commands, so concurrent writes often share wall time and counter.
    const ops: Uint8Array[] = [];
    const stop = m.onOp((op) => ops.push(op));
    try {
      if (kind === "set") m.set(key, arg);
      else if (kind === "increment") m.increment(key, arg as number);
      else if (!m.delete(key)) return;
    } catch (e) {
      if (isConvergeError(e)) return; // refused (e.g. a gcounter decrement): nothing happened
      throw e;
    } finally {
      stop();
    }
    const bytes = ops[0];
    if (bytes === undefined) return;
    const node = replicaNode(replica);
    const seq = m.versionVector().get(node);
    const mine = this.seen[replica] as Map<string, Map<string, SpecOp>>;
    let onKey = mine.get(key);
    if (onKey === undefined) {
      onKey = new Map();
      mine.set(key, onKey);
    }
    const conflicts = m.conflicts(key);
    const time = (conflicts.find((c) => c.replica === node && c.seq === seq)?.time ??
      m.clock.last()) as Timestamp;
    const op: SpecOp = {
      id: `${node}:${seq}`,
      replica: node,
      seq,
      key,
      kind,
      ...(kind === "set" ? { value: arg } : {}),
      ...(kind === "increment" ? { amount: arg as number } : {}),
      time,
      observed: new Set(onKey.keys()),
    };
    onKey.set(op.id, op);
    const carried = new Map<string, readonly SpecOp[]>([[key, [...onKey.values()]]]);
    for (let to = 0; to < this.replicas.length; to++) {
      if (to !== replica) this.post({ from: replica, to, bytes, kind: "op", seen: carried });
    }
  }

  send(from: number, to: number, how: "state" | "delta"): void {
    const a = this.replicas[from] as ReplicatedMap;
    const b = this.replicas[to] as ReplicatedMap;
    const bytes = how === "state" ? a.encodeState() : a.encodeDelta(b.versionVector());
    this.post({ from, to, bytes, kind: how, seen: this.snapshotSeen(from) });
  }

  connected(a: number, b: number): boolean {
    return this.partition[a] === this.partition[b];
  }

  /** Applies a message; a delta whose base the receiver lost (restart, drops) is refused, correctly. */
  deliver(msg: Message): void {
    const m = this.replicas[msg.to] as ReplicatedMap;
    try {
      m.apply(msg.bytes);
    } catch (e) {
      if (isConvergeError(e, "DELTA_UNKNOWN_BASE")) return;
      throw e;
    }
    this.learn(msg.to, msg.seen);
  }

  /** Applies several messages as concurrent chunked merges, writing locally at every yield. */
  async deliverChunked(msgs: readonly Message[], writes: readonly [string, Value][]): Promise<void> {
    const to = (msgs[0] as Message).to;
    const m = this.replicas[to] as ReplicatedMap;
    let w = 0;
    const admitted = new Set<Message>();
    await Promise.all(
      msgs.map(async (msg) => {
        try {
          await m.applyAsync(msg.bytes, {
            chunkSize: 2,
            yieldTo: async (phase) => {
              if (phase === "merge" && !admitted.has(msg)) {
                // From here on the merge counts as applied: local writes observe what it brings.
                admitted.add(msg);
                this.learn(to, msg.seen);
              }
              const next = writes[w++];
              if (next !== undefined) this.local(to, next[0], "set", next[1]);
              await Promise.resolve();
            },
          });
        } catch (e) {
          if (isConvergeError(e, "DELTA_UNKNOWN_BASE")) return;
          throw e;
        }
        if (!admitted.has(msg)) this.learn(to, msg.seen);
      }),
    );
  }

  restart(i: number): void {
    const old = this.replicas[i] as ReplicatedMap;
    this.replicas[i] = this.#make(i, old.encodeState());
  }

  /** Checks every replica's every key against the specification of what it has seen. */
  checkSpecs(): void {
    const keys = this.#keys;
    for (let i = 0; i < this.replicas.length; i++) {
      const m = this.replicas[i] as ReplicatedMap;
      for (const key of keys) {
        const spec = this.#specs[this.#resolverId(key)];
        if (spec === undefined) continue;
        const ops = [...(this.seen[i]?.get(key)?.values() ?? [])];
        const expected = spec(ops);
        const present = m.has(key);
        const value = m.get(key);
        const ok = expected.present
          ? present && JSON.stringify(value) === JSON.stringify(expected.value)
          : !present;
        if (!ok) {
          throw new Violation(
            `replica r${i} key ${JSON.stringify(key)} reads ${present ? JSON.stringify(value) : "(absent)"} but the specification says ${
              expected.present ? JSON.stringify(expected.value) : "(absent)"
            }\n  operations it has seen: ${ops
              .map(
                (o) =>
                  `${o.id} ${o.kind}${o.kind === "set" ? `(${JSON.stringify(o.value)})` : o.kind === "increment" ? `(${o.amount})` : ""} observed [${[...o.observed].join(" ")}]`,
              )
              .join("; ")}`,
          );
        }
      }
    }
  }

  /** Heals, delivers everything, exchanges full states, and checks that all replicas agree. */
  async quiesce(rebuild: () => ReplicatedMap): Promise<void> {
    this.partition.fill(0);
    for (const msg of this.inflight.splice(0)) this.deliver(msg);
    const states = this.replicas.map((m) => m.encodeState());
    const seen = this.replicas.map((_, i) => this.snapshotSeen(i));
    for (let i = 0; i < this.replicas.length; i++) {
      for (let j = 0; j < states.length; j++) {
        (this.replicas[i] as ReplicatedMap).applyState(states[j] as Uint8Array);
        this.learn(i, seen[j] as Map<string, readonly SpecOp[]>);
      }
    }
    this.checkSpecs();
    const fresh = rebuild();
    for (const s of states) fresh.applyState(s);
    // Every replica has seen every operation: compacting each with the others' (equal) vectors
    // must reach one canonical state, whatever each compacted earlier, and read the same.
    const everyone = [...this.replicas, fresh];
    const vectors = everyone.map((m) => m.versionVector());
    everyone.forEach((m, i) => {
      m.compact(vectors.filter((_, j) => j !== i));
    });
    this.checkSpecs();
    const bytes = everyone.map((m) => toHex(m.encodeState()));
    const distinct = new Set(bytes);
    if (distinct.size !== 1) {
      throw new Violation(
        `replicas did not converge at quiescence:\n${bytes.map((b, i) => `  ${i < this.replicas.length ? `r${i}` : "rebuilt"}: ${b}`).join("\n")}`,
      );
    }
  }
}

type Cmd = fc.AsyncCommand<object, Network>;

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
function commandsArb(
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

/**
 * Checks that replicas converge — and, at every step, read what the specification says — over
 * random network schedules (see the command list in the docs). Never throws for a failure: the
 * report carries the shrunk schedule, the seed and the path that replay it.
 *
 * @example
 * const report = await checkConvergence({ rules: { default: lww() }, keys: ["a", "b"] });
 * expect(report.counterexample).toBeUndefined();
 */
export async function checkConvergence(options: NetworkOptions): Promise<ConvergenceReport> {
  const { seed, numRuns } = runConfig(options, 100);
  const min = Math.max(2, options.replicas?.min ?? 2);
  const max = Math.min(7, Math.max(min, options.replicas?.max ?? 5));
  const values = options.values ?? smallValues;
  const amounts = options.amounts ?? fc.integer({ min: -3, max: 5 }).filter((x) => x !== 0);
  const specs = { ...builtinSpecs, ...options.specs };
  const log = options.log ?? console.log;
  log(`[converge/testing] network schedules: seed ${seed}, ${numRuns} runs, ${min}-${max} replicas`);
  const merger = options.workers === undefined ? undefined : await workerMerger(options.workers);
  try {
    // Check the specification after every command by wrapping each command's run.
    const details = await fc.check(
      fc.asyncProperty(
        fc
          .integer({ min, max })
          .chain((n) => fc.tuple(fc.constant(n), commandsArb(n, options, values, amounts, merger))),
        async ([n, cmds]) => {
          const net = new Network(n, options.rules, specs, options.keys);
          const rebuild = () =>
            createReplicatedMap({
              resolvers: options.rules,
              clockOptions: {
                node: "00000000000000ff",
                now: () => net.now,
                maxDrift: Number.POSITIVE_INFINITY,
              },
            });
          await fc.asyncModelRun(() => ({ model: {}, real: net }), cmds);
          await net.quiesce(rebuild);
        },
      ),
      { seed, numRuns, ...(options.path === undefined ? {} : { path: options.path }) },
    );
    if (!details.failed) return { ok: true, seed, runs: details.numRuns };
    const [n, cmds]: [number, Iterable<Cmd>] = details.counterexample?.[0] ?? [0, []];
    const err = details.errorInstance;
    const why =
      err instanceof Error
        ? err instanceof Violation
          ? err.message
          : (err.stack ?? err.message)
        : String(err);
    return {
      ok: false,
      seed: details.seed,
      runs: details.numRuns,
      path: details.counterexamplePath ?? "",
      counterexample: `${n} replicas; schedule: ${[...cmds].map(String).join("; ")}\n${why}`,
    };
  } finally {
    await merger?.close();
  }
}

/** Thrown by {@link assertConvergence} (code `CONVERGENCE_VIOLATION`). */
export class ConvergenceError extends ConvergeError {
  readonly report: ConvergenceReport;
  constructor(report: ConvergenceReport) {
    super(
      "CONVERGENCE_VIOLATION",
      `replicas diverged or broke the specification (seed ${report.seed}, path "${report.path ?? ""}"; replay with { seed: ${report.seed} } or CONVERGE_SEED=${report.seed}):\n${report.counterexample ?? ""}`,
    );
    this.report = report;
  }
}

/** {@link checkConvergence}, throwing a {@link ConvergenceError} when it fails. */
export async function assertConvergence(options: NetworkOptions): Promise<ConvergenceReport> {
  const report = await checkConvergence(options);
  if (!report.ok) throw new ConvergenceError(report);
  return report;
}
