import { createReplicatedMap, type KeyRulesConfig, type ReplicatedMap, type Value } from "@converge/core";
import fc from "fast-check";
import { hex } from "../../../test/kit/hex.ts";
import { prng } from "../../../test/kit/prng.ts";
import { REPLICA_IDS } from "../../../test/kit/replica-ids.ts";
import { everyResolver } from "../../../test/kit/rules.ts";

/** One key rule per built-in resolver, so a single map exercises all of them. */
export const allResolvers: KeyRulesConfig = everyResolver;

export { prng, REPLICA_IDS };

/** A local operation on one replica. */
export type Op =
  | { readonly kind: "set"; readonly replica: number; readonly key: string; readonly value: Value }
  | { readonly kind: "inc"; readonly replica: number; readonly key: string; readonly amount: number }
  | { readonly kind: "del"; readonly replica: number; readonly key: string };

/** A step of a history: a local operation, or a sync from one replica to another. */
export type Step =
  | Op
  | {
      readonly kind: "sync";
      readonly from: number;
      readonly to: number;
      readonly path: "state" | "delta" | "ops";
      readonly seed: number;
    };

const registerKeys = ["lww:x", "lww:y", "mv:x", "max:x", "min:x", "plain"];
const counterKeys = ["g:x", "pn:x", "pn:y"];
const smallValue: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("a", "b", "c"),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);

/** Arbitrary histories over `replicas` replicas. */
export function stepsArb(replicas: number, maxSteps = 40): fc.Arbitrary<Step[]> {
  const r = fc.nat(replicas - 1);
  const op: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("set" as const),
        replica: r,
        key: fc.constantFrom(...registerKeys),
        value: smallValue,
      }),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          kind: fc.constant("inc" as const),
          replica: r,
          key: fc.constantFrom(...counterKeys),
          amount: fc.integer({ min: -3, max: 5 }),
        })
        .map((o) => (o.key.startsWith("g:") ? { ...o, amount: Math.abs(o.amount) + 1 } : o)),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("del" as const),
        replica: r,
        key: fc.constantFrom(...registerKeys, ...counterKeys),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("sync" as const),
        from: r,
        to: r,
        path: fc.constantFrom("state" as const, "delta" as const, "ops" as const),
        seed: fc.nat(),
      }),
    },
  );
  return fc.array(op, { maxLength: maxSteps });
}

/** A simulated cluster: replicas sharing a manual physical clock, and a log of every op payload. */
export interface Cluster {
  readonly replicas: ReplicatedMap[];
  /** Every op payload ever emitted, with its origin replica index. */
  readonly ops: { readonly origin: number; readonly seq: number; readonly bytes: Uint8Array }[];
  /** Runs one step. */
  readonly run: (step: Step) => void;
  /** A fresh replica with the same rules (its own id). */
  readonly fresh: (id?: string) => ReplicatedMap;
  /** Advances physical time by `ms`. */
  readonly advance: (ms: number) => void;
}

export function cluster(count: number, config: KeyRulesConfig = allResolvers): Cluster {
  let now = 1_700_000_000_000;
  const clockOptions = (node: string) => ({ node, now: () => now });
  const ops: { origin: number; seq: number; bytes: Uint8Array }[] = [];
  const replicas = REPLICA_IDS.slice(0, count).map((node, i) => {
    const m = createReplicatedMap({ resolvers: config, clockOptions: clockOptions(node) });
    m.onOp((bytes) => ops.push({ origin: i, seq: m.versionVector().get(node), bytes }));
    return m;
  });
  const fresh = (id = "00000000000000ff"): ReplicatedMap =>
    createReplicatedMap({ resolvers: config, clockOptions: clockOptions(id) });
  const run = (step: Step): void => {
    now += 1;
    if (step.kind === "sync") {
      if (step.from === step.to) return;
      const from = replicas[step.from] as ReplicatedMap;
      const to = replicas[step.to] as ReplicatedMap;
      if (step.path === "state") to.applyState(from.encodeState());
      else if (step.path === "delta") to.applyDelta(from.encodeDelta(to.versionVector()));
      else {
        // Deliver every op the sender has seen, shuffled, some twice.
        const rand = prng(step.seed);
        const seen = from.versionVector();
        const batch = ops.filter((o) => seen.includes(REPLICA_IDS[o.origin] as string, o.seq));
        const shuffled = [...batch, ...batch.filter(() => rand() < 0.2)].sort(() => rand() - 0.5);
        for (const o of shuffled) to.applyOp(o.bytes);
      }
      return;
    }
    const m = replicas[step.replica] as ReplicatedMap;
    if (step.kind === "set") m.set(step.key, step.value);
    else if (step.kind === "inc") m.increment(step.key, step.amount);
    else m.delete(step.key);
  };
  return { replicas, ops, run, fresh, advance: (ms) => (now += ms) };
}

/** Everything a replica reads, as a canonical JSON string. */
export function view(m: ReplicatedMap): string {
  return JSON.stringify([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export { hex };
