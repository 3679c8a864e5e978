// Network: the simulated transport of checkConvergence — replicas, messages in flight, partitions, replays.
import { isConvergeError } from "@converge/hlc";
import type { KeyRulesConfig } from "../key-rules.ts";
import { createReplicatedMap } from "../replicated-map.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import type { Value } from "../value.ts";
import type { VersionVector } from "../version-vector.ts";
import { toHex } from "./encode-state.ts";
import { replicaNode, SIMULATED_EPOCH } from "./history.ts";
import { Oracle, Violation } from "./oracle.ts";
import type { Spec, SpecOp } from "./specs.ts";

/** A payload in flight, with what its receiver learns of the operations behind it. */
export interface Message {
  readonly from: number;
  readonly to: number;
  readonly bytes: Uint8Array;
  readonly kind: "state" | "delta" | "op";
  /** What the receiver learns: operations by key, as the sender had seen them when sending. */
  readonly seen: ReadonlyMap<string, readonly SpecOp[]>;
}

/** The system under test: replicas, the messages in flight, and what each replica has seen. */
export class Network {
  readonly replicas: ReplicatedMap[];
  /** What each replica has seen, and what it must read. */
  readonly oracle: Oracle;
  readonly inflight: Message[] = [];
  /** Every message ever sent (the latest 64), kept to be replayed late: stale copies. */
  readonly archive: Message[] = [];
  /** Each replica's recent version vectors (newest last), as a peer may report them late. */
  readonly vectors: VersionVector[][];
  readonly partition: number[];
  readonly log: string[] = [];
  now: number = SIMULATED_EPOCH;
  readonly #rules: KeyRulesConfig;

  constructor(
    n: number,
    rules: KeyRulesConfig,
    specs: Readonly<Record<string, Spec>>,
    keys: readonly string[],
  ) {
    this.#rules = rules;
    this.oracle = new Oracle(n, rules, specs, keys);
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
    return this.oracle.snapshot(replica);
  }

  /** Replica `replica` now has seen the operations `seen`. */
  learn(replica: number, seen: ReadonlyMap<string, readonly SpecOp[]>): void {
    this.oracle.learn(replica, seen);
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
    const carried = this.oracle.record(replica, m, key, kind, arg);
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
    this.oracle.check(this.replicas);
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
