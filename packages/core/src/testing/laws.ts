import { isConvergeError } from "@converge/hlc";
import fc from "fast-check";
import type { AnyResolver } from "../key-rules.ts";
import { createReplicatedMap } from "../replicated-map.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import type { Resolver } from "../resolver.ts";
import type { Value } from "../value.ts";
import { describeState, stateBytes, stateFromBytes, toHex } from "./encode-state.ts";
import { type HistoryStep, historyArb, replicaNode, runHistory, SIMULATED_EPOCH } from "./history.ts";
import { checkReadLaw, READ_LAWS, type ReadLawName } from "./reads.ts";
import { type RunOptions, runConfig } from "./run-config.ts";

/**
 * The laws {@link checkLaws} verifies: the state laws of {@link ALL_LAWS}, and the read laws of
 * {@link READ_LAWS} (`fold`, `batched`), checked only when asked for in `laws`.
 */
export type LawName =
  | "commutative"
  | "associative"
  | "idempotent"
  | "inflation"
  | "roundTrip"
  | "deterministic"
  | "paths"
  | ReadLawName;

export { READ_LAWS, type ReadLawName };

/** Every state law, in the order they are checked (the default of `laws`). */
export const ALL_LAWS: readonly LawName[] = Object.freeze([
  "commutative",
  "associative",
  "idempotent",
  "inflation",
  "roundTrip",
  "deterministic",
  "paths",
]);

const STATEMENTS: Record<LawName, string> = {
  commutative: "merge(a, b) = merge(b, a)",
  associative: "merge(merge(a, b), c) = merge(a, merge(b, c))",
  idempotent: "merge(a, a) = a",
  inflation: "merge(s, op(s)) = op(s): a local operation only adds to what it saw",
  roundTrip: "decode(encode(s)) reads, lists and merges exactly like s",
  deterministic: "the same history on fresh resolver instances gives the same bytes",
  paths: "full state, deltas and ops (shuffled, duplicated) reach the same bytes",
  fold: "3–8 concurrent values read the same whichever replicas wrote them, in whatever order",
  batched:
    "replicas that got the same 3–8 concurrent values in different orders and ways read what the resolver reads outside a map",
};

/** The outcome of one law. */
export interface LawResult {
  readonly law: LawName;
  /** The law in words. */
  readonly statement: string;
  readonly ok: boolean;
  readonly runs: number;
  /** Seed and path that replay the shrunk counterexample (`checkLaws({ …, seed, path })`). */
  readonly seed: number;
  readonly path?: string;
  /** The shrunk counterexample: the history and the states involved, readable. */
  readonly counterexample?: string;
}

/** What {@link checkLaws} found. */
export interface LawReport {
  /** `id@version` of the resolver. */
  readonly resolver: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly results: readonly LawResult[];
}

/** Options of {@link checkLaws}. */
export interface LawOptions<In> extends RunOptions {
  /** The resolver, or a factory returning a fresh instance (lets `deterministic` compare instances). */
  readonly resolver: Resolver<In, unknown> | (() => Resolver<In, unknown>);
  /** Values to write (registers); default small JSON values that collide often. */
  readonly values?: fc.Arbitrary<In>;
  /** Amounts to add (counters); default -3..5 without 0. */
  readonly amounts?: fc.Arbitrary<number>;
  /** Replicas in each history; default 3. */
  readonly replicas?: number;
  /** Longest history; default 30 steps. */
  readonly maxSteps?: number;
  /**
   * Which laws; default {@link ALL_LAWS}. Add `"fold"` (for order-insensitive reads: joins, not
   * lww) and `"batched"` (for every register) from {@link READ_LAWS}.
   */
  readonly laws?: readonly LawName[];
  /**
   * Values of the other conflicted keys written next to the key under test in the read laws, so
   * they share its batches; default `values`. Wider values (ones your schema does not promise)
   * make the batch vary more.
   */
  readonly otherValues?: fc.Arbitrary<In>;
  /** Most concurrent values on a key in the read laws (at least 3); default 8. */
  readonly maxConcurrent?: number;
  /** Replays one counterexample (with `seed`), as printed in a failure. */
  readonly path?: string;
}

/** Small JSON values that collide often, so ties and equal values are exercised. */
export const smallValues: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.constantFrom("a", "b", "c"),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);

const defaultAmounts = fc.integer({ min: -3, max: 5 }).filter((n) => n !== 0);

function formatHistory(steps: readonly HistoryStep[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case "set":
          return `r${s.replica}.set(${JSON.stringify(s.value)})`;
        case "increment":
          return `r${s.replica}.increment(${s.amount})`;
        case "delete":
          return `r${s.replica}.delete()`;
        case "sync":
          return `sync r${s.from}→r${s.to}`;
        case "tick":
          return `tick ${s.ms}ms`;
      }
      return "";
    })
    .join("; ");
}

class LawFailure extends Error {
  readonly detail: string;
  constructor(detail: string) {
    super(detail);
    this.detail = detail;
  }
}

function same(
  resolver: AnyResolver,
  label: string,
  x: unknown,
  y: unknown,
  inputs: Record<string, unknown>,
): void {
  const bx = toHex(stateBytes(resolver, x));
  const by = toHex(stateBytes(resolver, y));
  if (bx === by) return;
  const lines = Object.entries(inputs).map(([k, v]) => `  ${k} = ${describeState(resolver, v)}`);
  throw new LawFailure(
    [
      ...lines,
      `  ${label}: left  ${describeState(resolver, x)}`,
      `  ${label}: right ${describeState(resolver, y)}`,
    ].join("\n"),
  );
}

function semanticView(resolver: AnyResolver, s: unknown): string {
  return JSON.stringify({
    read: resolver.read(s) ?? null,
    exists: resolver.exists(s),
    conflicts: resolver.conflicts(s).map((c) => [c.value, c.replica, c.seq, c.time.toString()]),
  });
}

/**
 * Checks the laws of a resolver with fast-check, on states produced by random single-key histories
 * over several replicas (local operations on a shared simulated HLC clock, interleaved with
 * merges). Never throws for a failing law: each {@link LawResult} carries the shrunk counterexample
 * and the seed and path that replay it. See {@link assertLaws} for a throwing variant.
 *
 * @example
 * const report = checkLaws({ resolver: lww<number>(), values: fc.integer() });
 * for (const r of report.results) console.log(r.law, r.ok ? "ok" : r.counterexample);
 */
export function checkLaws<In>(options: LawOptions<In>): LawReport {
  const make = (): AnyResolver =>
    (typeof options.resolver === "function" ? options.resolver() : options.resolver) as AnyResolver;
  const resolver = make();
  const { seed, numRuns } = runConfig(options, 100);
  const replicas = options.replicas ?? 3;
  const maxSteps = options.maxSteps ?? 30;
  const values = (options.values ?? smallValues) as fc.Arbitrary<unknown>;
  const amounts = options.amounts ?? defaultAmounts;
  const history = historyArb(resolver, replicas, maxSteps, values, amounts);
  const name = `${resolver.id}@${resolver.version}`;
  const log = options.log ?? console.log;
  log(`[converge/testing] laws of ${name}: seed ${seed}, ${numRuns} runs per law`);

  const pick = <T>(xs: readonly T[], i: number): T | undefined =>
    xs.length === 0 ? undefined : xs[i % xs.length];
  const idx = fc.nat();
  type Args = [HistoryStep[], number, number, number];
  type StateLaw = Exclude<LawName, ReadLawName>;
  const law = (pred: (h: HistoryStep[], i: number, j: number, k: number) => void): fc.IProperty<Args> =>
    fc.property(history, idx, idx, idx, pred);
  const props: Record<StateLaw, fc.IProperty<Args>> = {
    commutative: law((h, i, j) => {
      const { states } = runHistory(resolver, replicas, h);
      const a = pick(states, i);
      const b = pick(states, j);
      if (a === undefined || b === undefined) return;
      same(resolver, "merge(a, b) vs merge(b, a)", resolver.merge(a, b), resolver.merge(b, a), { a, b });
    }),
    associative: law((h, i, j, k) => {
      const { states } = runHistory(resolver, replicas, h);
      const [a, b, c] = [pick(states, i), pick(states, j), pick(states, k)];
      if (a === undefined || b === undefined || c === undefined) return;
      same(
        resolver,
        "merge(merge(a, b), c) vs merge(a, merge(b, c))",
        resolver.merge(resolver.merge(a, b), c),
        resolver.merge(a, resolver.merge(b, c)),
        { a, b, c },
      );
    }),
    idempotent: law((h, i) => {
      const { states } = runHistory(resolver, replicas, h);
      const a = pick(states, i);
      if (a === undefined) return;
      same(resolver, "merge(a, a) vs a", resolver.merge(a, a), a, { a });
    }),
    inflation: law((h, i) => {
      const { transitions } = runHistory(resolver, replicas, h);
      const t = pick(transitions, i);
      if (t === undefined || t[0] === undefined) return;
      const [before, after] = t;
      same(resolver, "merge(before, after) vs after", resolver.merge(before, after), after, {
        before,
        after,
      });
      same(resolver, "merge(after, before) vs after", resolver.merge(after, before), after, {
        before,
        after,
      });
    }),
    roundTrip: law((h, i, j) => {
      const { states } = runHistory(resolver, replicas, h);
      const a = pick(states, i);
      const b = pick(states, j);
      if (a === undefined || b === undefined) return;
      const back = stateFromBytes(resolver, stateBytes(resolver, a));
      if (semanticView(resolver, back) !== semanticView(resolver, a)) {
        throw new LawFailure(
          `  a       = ${semanticView(resolver, a)}\n  decoded = ${semanticView(resolver, back)}\n  bytes   = ${toHex(stateBytes(resolver, a))}`,
        );
      }
      same(
        resolver,
        "merge(decode(encode(a)), b) vs merge(a, b)",
        resolver.merge(back, b),
        resolver.merge(a, b),
        {
          a,
          b,
        },
      );
    }),
    deterministic: law((h) => {
      const first = runHistory(make(), replicas, h).states.map((s) => toHex(stateBytes(resolver, s)));
      const other = make();
      const second = runHistory(other, replicas, h).states.map((s) => toHex(stateBytes(other, s)));
      const at = first.findIndex((x, n) => x !== second[n]);
      if (at !== -1 || first.length !== second.length) {
        throw new LawFailure(
          `  state #${at} differs between two runs of the same history:\n  first  ${first[at]}\n  second ${second[at]}`,
        );
      }
    }),
    paths: law((h, seedForShuffle) => {
      checkPaths(resolver, replicas, h, seedForShuffle);
    }),
  };

  const results: LawResult[] = [];
  for (const law of options.laws ?? ALL_LAWS) {
    if (law === "fold" || law === "batched") {
      const outcome = checkReadLaw(law, {
        make,
        values,
        amounts,
        seed,
        numRuns,
        ...(options.path === undefined ? {} : { path: options.path }),
        ...(options.maxConcurrent === undefined ? {} : { maxValues: options.maxConcurrent }),
        ...(options.otherValues === undefined
          ? {}
          : { otherValues: options.otherValues as fc.Arbitrary<unknown> }),
      });
      results.push({ law, statement: STATEMENTS[law], ...outcome });
      continue;
    }
    const params: fc.Parameters<Args> = {
      seed,
      numRuns,
      ...(options.path === undefined ? {} : { path: options.path }),
    };
    const details = fc.check(props[law], params);
    if (!details.failed) {
      results.push({ law, statement: STATEMENTS[law], ok: true, runs: details.numRuns, seed });
      continue;
    }
    const [h] = details.counterexample ?? [[]];
    const err = details.errorInstance;
    const why =
      err instanceof LawFailure
        ? err.detail
        : `  threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    results.push({
      law,
      statement: STATEMENTS[law],
      ok: false,
      runs: details.numRuns,
      seed: details.seed,
      path: details.counterexamplePath ?? "",
      counterexample: `history: ${formatHistory(h)}\n${why}`,
    });
  }
  return { resolver: name, seed, ok: results.every((r) => r.ok), results };
}

/** Runs a single-key history through replicated maps and compares the three sync paths. */
function checkPaths(
  resolver: AnyResolver,
  replicas: number,
  steps: readonly HistoryStep[],
  shuffleSeed: number,
): void {
  let now = SIMULATED_EPOCH;
  const ops: { node: string; seq: number; bytes: Uint8Array }[] = [];
  const make = (node: string): ReplicatedMap => {
    const m = createReplicatedMap({
      resolvers: { default: resolver },
      clockOptions: { node, now: () => now, maxDrift: Number.POSITIVE_INFINITY },
    });
    m.onOp((bytes) => ops.push({ node, seq: m.seqOf(node), bytes }));
    return m;
  };
  const maps = Array.from({ length: replicas }, (_, i) => make(replicaNode(i)));
  for (const step of steps) {
    try {
      if (step.kind === "tick") now += step.ms;
      else if (step.kind === "sync") {
        const from = maps[step.from];
        const to = maps[step.to];
        if (from !== undefined && to !== undefined && from !== to)
          to.applyDelta(from.encodeDelta(to.versionVector()));
      } else if (step.kind === "set") maps[step.replica]?.set("k", step.value);
      else if (step.kind === "increment") maps[step.replica]?.increment("k", step.amount);
      else maps[step.replica]?.delete("k");
    } catch (e) {
      // Operations the resolver refuses (a gcounter decrement, an overflow) are skipped.
      if (!isConvergeError(e)) throw e;
    }
  }
  const source = maps[0] as ReplicatedMap;
  const expected = toHex(source.encodeState());
  const viaState = make("00000000000000fe");
  viaState.applyState(source.encodeState());
  const viaDelta = make("00000000000000fd");
  viaDelta.applyDelta(source.encodeDelta(viaDelta.versionVector()));
  const viaOps = make("00000000000000fc");
  const seen = source.versionVector();
  let x = shuffleSeed >>> 0;
  const rand = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const mine = ops.filter((o) => seen.includes(o.node, o.seq));
  for (const o of [...mine, ...mine.filter(() => rand() < 0.3)].sort(() => rand() - 0.5))
    viaOps.applyOp(o.bytes);
  for (const [path, m] of [
    ["full state", viaState],
    ["delta", viaDelta],
    ["ops", viaOps],
  ] as const) {
    const got = toHex(m.encodeState());
    if (got !== expected) throw new LawFailure(`  via ${path}: ${got}\n  source:    ${expected}`);
  }
}
