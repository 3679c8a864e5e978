import { createClock, isConvergeError } from "@converge/hlc";
import fc from "fast-check";
import type { AnyResolver } from "../key-rules.ts";
import { createReplicatedMap } from "../replicated-map.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import { toHex } from "./encode-state.ts";
import { replicaNode, SIMULATED_EPOCH } from "./history.ts";

/**
 * The read laws: how a key holding 3–8 concurrent values reads in real replicated maps.
 *
 * - `fold`: the same concurrent values, written by other replicas at other times (so they reach
 *   the resolver in another order), read the same. True of joins (max, union, a script's merge);
 *   false by design of order-dependent rules such as lww.
 * - `batched`: replicas that received the same writes in different orders and ways (ops one by
 *   one, deltas, full states, one relayed state holding every key, a restart), some of them reading
 *   in between and some with other conflicted keys in the same batch, read what the resolver reads
 *   for that state outside any map: a read must not depend on the map's batched path.
 */
export type ReadLawName = "fold" | "batched";

/** Every read law, in the order they are checked. */
export const READ_LAWS: readonly ReadLawName[] = Object.freeze(["fold", "batched"]);

/** One read law's outcome, without its name (laws.ts adds it). */
export interface ReadLawOutcome {
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly counterexample?: string;
}

/** Inputs of {@link checkReadLaw}. */
export interface ReadLawInput {
  /** A fresh resolver instance per call; each replica of a run gets its own. */
  readonly make: () => AnyResolver;
  readonly values: fc.Arbitrary<unknown>;
  /** Values of the other conflicted keys batched with the key under test; default `values`. */
  readonly otherValues?: fc.Arbitrary<unknown>;
  readonly amounts: fc.Arbitrary<number>;
  readonly seed: number;
  readonly numRuns: number;
  readonly path?: string;
  /** Fewest and most concurrent values on the key under test; default 3 and 8. */
  readonly minValues?: number;
  readonly maxValues?: number;
}

type Via = "ops" | "deltas" | "states" | "relay" | "restart";

interface Reader {
  readonly order: number;
  readonly via: Via;
  readonly peek: boolean;
}

interface Scenario {
  readonly writes: readonly unknown[];
  readonly times: readonly number[];
  readonly shuffle: number;
  readonly companions: readonly (readonly unknown[])[];
  readonly readers: readonly Reader[];
}

class ReadLawFailure extends Error {}

/** Equality of reads: JSON text (key order kept), byte arrays as hex. */
function show(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `bytes:${toHex(x)}` : x)) ?? "undefined"
  );
}

/** A permutation of 0..n-1 from a seed (a small LCG, so a counterexample replays exactly). */
function permutation(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let x = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

const KEY = "k";
const companionKey = (j: number): string => `k~${j}`;

/** The maps of one run: writers that each wrote one of the concurrent values, and their ops. */
interface World {
  readonly writers: readonly ReplicatedMap[];
  readonly ops: readonly (readonly Uint8Array[])[];
  /** What the resolver reads for the merged key outside any map (no batch, no cache). */
  readonly plain: string;
}

function write(resolver: AnyResolver, map: ReplicatedMap, key: string, input: unknown): void {
  try {
    if (resolver.set !== undefined) map.set(key, input);
    else if (resolver.increment !== undefined) map.increment(key, input as number);
  } catch (e) {
    // A write the resolver refuses (a gcounter decrement) is skipped, as in the other laws.
    if (!isConvergeError(e)) throw e;
  }
}

function buildWorld(
  instances: readonly AnyResolver[],
  writes: readonly unknown[],
  times: readonly number[],
  companions: readonly (readonly unknown[])[],
): World {
  const resolver = instances[0] as AnyResolver;
  const writers: ReplicatedMap[] = [];
  const ops: Uint8Array[][] = [];
  let plainState: unknown;
  writes.forEach((input, i) => {
    const node = replicaNode(i);
    const now = SIMULATED_EPOCH + (times[i] ?? 0);
    const map = createReplicatedMap({
      resolvers: { default: resolver },
      clockOptions: { node, now: () => now, maxDrift: Number.POSITIVE_INFINITY },
    });
    const mine: Uint8Array[] = [];
    map.onOp((bytes) => mine.push(bytes));
    write(resolver, map, KEY, input);
    companions.forEach((list, j) => {
      if (i < list.length) write(resolver, map, companionKey(j), list[i]);
    });
    writers.push(map);
    ops.push(mine);
    // The same write on the resolver alone: the first operation of a fresh clock at `now`.
    const stamp = { replica: node, seq: 1, time: createClock({ node, now: () => now }).tick() };
    try {
      const s =
        resolver.set !== undefined
          ? resolver.set(undefined, input, stamp)
          : resolver.increment?.(undefined, input as number, stamp);
      if (s !== undefined) plainState = plainState === undefined ? s : resolver.merge(plainState, s);
    } catch (e) {
      if (!isConvergeError(e)) throw e;
    }
  });
  const plain = show(plainState === undefined ? undefined : resolver.read(plainState));
  return { writers, ops, plain };
}

/** Delivers a world's writes to a fresh reader as `plan` says; returns what it reads and what it read on the way. */
function readThrough(
  world: World,
  plan: Reader,
  resolver: AnyResolver,
  relayResolver: AnyResolver,
  node: string,
): { read: string; seen: string[] } {
  const make = (id: string, resolvers: AnyResolver, state?: Uint8Array): ReplicatedMap =>
    createReplicatedMap({
      resolvers: { default: resolvers },
      clockOptions: { node: id, now: () => SIMULATED_EPOCH + 10, maxDrift: Number.POSITIVE_INFINITY },
      ...(state === undefined ? {} : { state }),
    });
  let reader = make(node, resolver);
  const order = permutation(world.writers.length, plan.order);
  const seen: string[] = [];
  const peek = (): void => {
    if (plan.peek) seen.push(show(reader.get(KEY)));
  };
  if (plan.via === "relay") {
    const relay = make("00000000000000fa", relayResolver);
    for (const i of order) relay.applyState((world.writers[i] as ReplicatedMap).encodeState());
    reader.applyState(relay.encodeState());
  } else {
    for (const i of order) {
      const w = world.writers[i] as ReplicatedMap;
      if (plan.via === "ops") for (const op of world.ops[i] ?? []) reader.applyOp(op);
      else if (plan.via === "deltas") reader.applyDelta(w.encodeDelta(reader.versionVector()));
      else reader.applyState(w.encodeState());
      peek();
    }
    if (plan.via === "restart") reader = make(node, resolver, reader.encodeState());
  }
  return { read: show(reader.get(KEY)), seen };
}

function describeScenario(s: Scenario, shuffled?: readonly unknown[]): string {
  const lines = [
    `  concurrent values ${JSON.stringify(s.writes)} (replica i writes value i at time +${JSON.stringify(s.times.slice(0, s.writes.length))} ms)`,
  ];
  if (shuffled !== undefined)
    lines.push(`  the same values written in another order ${JSON.stringify(shuffled)}`);
  if (s.companions.length > 0) lines.push(`  other conflicted keys ${JSON.stringify(s.companions)}`);
  return lines.join("\n");
}

/**
 * Checks one read law with fast-check. Never throws for a failing law: the outcome carries the
 * shrunk counterexample and the seed and path that replay it.
 */
export function checkReadLaw(law: ReadLawName, input: ReadLawInput): ReadLawOutcome {
  const slots = 5; // writers and the plain read, three readers, the relay
  const instances = Array.from({ length: slots }, () => input.make());
  const [resolver, ...rest] = instances as [AnyResolver, ...AnyResolver[]];
  const written = resolver.set !== undefined ? input.values : (input.amounts as fc.Arbitrary<unknown>);
  const minValues = input.minValues ?? 3;
  const maxValues = Math.max(minValues, input.maxValues ?? 8);
  const scenario: fc.Arbitrary<Scenario> = fc.record({
    writes: fc.array(written, { minLength: minValues, maxLength: maxValues }),
    times: fc.array(fc.nat(2), { minLength: maxValues, maxLength: maxValues }),
    shuffle: fc.nat(),
    companions: fc.array(
      fc.array(resolver.set !== undefined ? (input.otherValues ?? written) : written, {
        minLength: 2,
        maxLength: 4,
      }),
      { maxLength: 3 },
    ),
    readers: fc.array(
      fc.record({
        order: fc.nat(),
        via: fc.constantFrom<Via>("ops", "deltas", "states", "relay", "restart"),
        peek: fc.boolean(),
      }),
      { minLength: 2, maxLength: 3 },
    ),
  });
  const readerNode = (r: number): string => replicaNode(64 + r);
  const prop = fc.property(scenario, (s) => {
    const world = buildWorld(instances, s.writes, s.times, s.companions);
    if (law === "batched") {
      s.readers.forEach((plan, r) => {
        const got = readThrough(world, plan, rest[r] as AnyResolver, rest[3] as AnyResolver, readerNode(r));
        if (got.read !== world.plain) {
          throw new ReadLawFailure(
            `${describeScenario(s)}\n  outside a map the key reads ${world.plain}\n  a replica that got them via ${plan.via} (order ${JSON.stringify(permutation(s.writes.length, plan.order))}${plan.peek ? `, reading ${got.seen.join(", ")} on the way` : ""}) reads ${got.read}`,
          );
        }
      });
      return;
    }
    const perm = permutation(s.writes.length, s.shuffle);
    const shuffled = perm.map((i) => s.writes[i]);
    const times = permutation(s.times.length, s.shuffle + 1).map((i) => s.times[i] as number);
    const other = buildWorld(instances, shuffled, times, s.companions);
    const relayed = readThrough(
      other,
      { order: s.shuffle, via: "relay", peek: false },
      rest[0] as AnyResolver,
      rest[3] as AnyResolver,
      readerNode(0),
    );
    if (other.plain !== world.plain || relayed.read !== world.plain) {
      throw new ReadLawFailure(
        `${describeScenario(s, shuffled)}\n  first order reads ${world.plain}\n  second order reads ${other.plain} (a replica holding them all reads ${relayed.read})`,
      );
    }
  });
  const details = fc.check(prop, {
    seed: input.seed,
    numRuns: input.numRuns,
    ...(input.path === undefined ? {} : { path: input.path }),
  });
  if (!details.failed) return { ok: true, runs: details.numRuns, seed: input.seed };
  const err = details.errorInstance;
  return {
    ok: false,
    runs: details.numRuns,
    seed: details.seed,
    path: details.counterexamplePath ?? "",
    counterexample:
      err instanceof ReadLawFailure
        ? err.message
        : `  threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  };
}
