import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { keyOf, spreadIndexes } from "../keys.ts";
import { collectGarbage, measure, median, type Timing } from "../measure.ts";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";

/**
 * One implementation's delta sync: time of encode + apply, and the delta's size, in two blocks of
 * reps: back to back (what a live sync loop does), then each right after a forced full GC.
 */
export interface DeltaImplResult {
  readonly impl: string;
  /** Median of the reps run back to back, with collection left to the engine. */
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
  /**
   * Median of the reps run right after a forced full GC (every rep was, before 2026-12-02; results
   * from then lack it).
   */
  readonly afterGcMedianMs?: number;
  readonly afterGcSamplesMs?: readonly number[];
  /** Median delta size over the repetitions. */
  readonly deltaBytes: number;
}

/** Delta sync after `changed` keys changed on a replica of `keys` keys. */
export interface DeltaResult {
  readonly keys: number;
  readonly changed: number;
  readonly reps: number;
  /** Unrecorded warm-up rounds per implementation (absent in results before 2026-12-02 18:00: 2). */
  readonly warmup?: number;
  readonly results: readonly DeltaImplResult[];
}

/**
 * Unrecorded rounds before the recorded ones, for every implementation alike: a live sync loop
 * runs encode + apply thousands of times, so the rows measure the steady state. converge's round
 * (100 keys changed, 100k or 1M keys) settles after about 300 rounds (medians of 50-round
 * windows on 2026-12-02: 0.47, 0.54, 0.34, 0.24, 0.38, 0.36, then 0.22–0.29 ms); two warm-up
 * rounds, before that day, left it mostly unoptimised.
 */
const WARMUP = 300;

function medianSize(sizes: readonly number[]): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/**
 * Measure options for `reps` reps of each kind: no GC by `measure` itself. The first reps (after
 * the warm-ups) run back to back; then {@link afterGc} collects before each of the rest. Two
 * blocks, not alternating reps: a rep right after one that followed a forced GC still pays for it.
 */
function twoBlocks(reps: number) {
  return { reps: reps * 2, warmup: WARMUP, gc: false };
}

/** Setup's part of {@link twoBlocks}: a full GC before each rep of the second block. */
function afterGc(round: number, reps: number): void {
  if (round >= WARMUP + reps) collectGarbage();
}

function result(impl: string, timing: Timing, sizes: readonly number[], reps: number): DeltaImplResult {
  const backToBack = timing.samplesMs.slice(0, reps);
  const afterGcs = timing.samplesMs.slice(reps);
  return {
    impl,
    medianMs: median(backToBack),
    samplesMs: backToBack,
    afterGcMedianMs: median(afterGcs),
    afterGcSamplesMs: afterGcs,
    deltaBytes: medianSize(sizes),
  };
}

/** A single writer A with n keys, B synced from A's full state; each round changes `changed` keys on A. */
function convergeDelta(n: number, changed: number, reps: number): DeltaImplResult {
  const a = lwwReplica(NODE_A);
  for (let i = 0; i < n; i++) a.set(keyOf(i), i & 1023);
  const b = lwwReplica(NODE_B);
  b.applyState(a.encodeState());
  let round = 0;
  let last: number[] = [];
  const sizes: number[] = [];
  const timing = measure(
    twoBlocks(reps),
    () => {
      last = spreadIndexes(n, changed, round);
      for (const i of last) a.set(keyOf(i), 2000 + round);
      afterGc(round, reps);
      round++;
      return undefined;
    },
    () => {
      const delta = a.encodeDelta(b.versionVector());
      b.applyDelta(delta);
      sizes.push(delta.length);
      return delta;
    },
    () => {
      for (const i of last) {
        if (b.get(keyOf(i)) !== 2000 + round - 1) throw new Error(`converge delta: ${keyOf(i)} not synced`);
      }
      if (b.size !== n) throw new Error(`converge delta: B has ${b.size} keys, expected ${n}`);
    },
  );
  return result("converge", timing, sizes.slice(WARMUP), reps);
}

function yjsDelta(n: number, changed: number, reps: number): DeltaImplResult {
  const a = new Y.Doc();
  a.clientID = 1;
  const ma = a.getMap<number>("m");
  a.transact(() => {
    for (let i = 0; i < n; i++) ma.set(keyOf(i), i & 1023);
  });
  const b = new Y.Doc();
  b.clientID = 2;
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  const mb = b.getMap<number>("m");
  let round = 0;
  let last: number[] = [];
  const sizes: number[] = [];
  const timing = measure(
    twoBlocks(reps),
    () => {
      last = spreadIndexes(n, changed, round);
      a.transact(() => {
        for (const i of last) ma.set(keyOf(i), 2000 + round);
      });
      afterGc(round, reps);
      round++;
      return undefined;
    },
    () => {
      const update = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
      Y.applyUpdate(b, update);
      sizes.push(update.length);
      return update;
    },
    () => {
      for (const i of last) {
        if (mb.get(keyOf(i)) !== 2000 + round - 1) throw new Error(`yjs delta: ${keyOf(i)} not synced`);
      }
      if (mb.size !== n) throw new Error(`yjs delta: B has ${mb.size} keys, expected ${n}`);
    },
  );
  a.destroy();
  b.destroy();
  return result("Yjs", timing, sizes.slice(WARMUP), reps);
}

/** Loro: an update export since B's oplog version, imported on B. */
function loroDelta(n: number, changed: number, reps: number): DeltaImplResult {
  const a = new LoroDoc();
  a.setPeerId(1);
  const ma = a.getMap("m");
  for (let i = 0; i < n; i++) ma.set(keyOf(i), i & 1023);
  a.commit();
  const b = new LoroDoc();
  b.setPeerId(2);
  b.import(a.export({ mode: "snapshot" }));
  const mb = b.getMap("m");
  let round = 0;
  let last: number[] = [];
  const sizes: number[] = [];
  const timing = measure(
    twoBlocks(reps),
    () => {
      last = spreadIndexes(n, changed, round);
      for (const i of last) ma.set(keyOf(i), 2000 + round);
      a.commit();
      afterGc(round, reps);
      round++;
      return undefined;
    },
    () => {
      const update = a.export({ mode: "update", from: b.oplogVersion() });
      b.import(update);
      sizes.push(update.length);
      return update;
    },
    () => {
      for (const i of last) {
        if (mb.get(keyOf(i)) !== 2000 + round - 1) throw new Error(`loro delta: ${keyOf(i)} not synced`);
      }
      if (mb.size !== n) throw new Error(`loro delta: B has ${mb.size} keys, expected ${n}`);
    },
  );
  a.free();
  b.free();
  return result("Loro", timing, sizes.slice(WARMUP), reps);
}

/** Delta encode + apply after a few keys changed on an otherwise synced large replica. */
export function runDelta(config: BenchConfig, n: number, log: (msg: string) => void): DeltaResult {
  const { deltaChanged: changed, deltaReps: reps } = config;
  log(`delta ${n}: converge`);
  const converge = convergeDelta(n, changed, reps);
  collectGarbage();
  log(`delta ${n}: Yjs`);
  const yjs = yjsDelta(n, changed, reps);
  collectGarbage();
  log(`delta ${n}: Loro`);
  const loro = loroDelta(n, changed, reps);
  collectGarbage();
  return { keys: n, changed, reps, warmup: WARMUP, results: [converge, yjs, loro] };
}
