/** What one round measures, and how: the sample, the phases timed in one stretch, the medians. */
import { collectGarbage, keep, median, release } from "../measure.ts";

/** One round of one implementation, in milliseconds; null where the phase does not exist. */
export interface RoundSample {
  /** Encoding the source's full state (null: the in-memory loop ships no bytes). */
  readonly encodeMs: number | null;
  /** Decode + merge into the target built by local writes. */
  readonly applyMs: number;
  /** Reading every key of the merged target. */
  readonly readMs: number;
  /** encode + apply + read, timed as one stretch. */
  readonly roundMs: number;
  /** Decode + merge of the same payload into a target re-decoded from its own state (null: n/a). */
  readonly applyRedecodedMs: number | null;
  readonly payloadBytes: number | null;
}

/** The target's own values (written first) and the source's (written later, so they win). */
export const targetValue = (i: number): number => (i * 7) & 1023;
export const sourceValue = (i: number): number => (i & 1023) + 1;

/** Sum of every key's value after the merge: the source's values win everywhere. */
export function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += sourceValue(i);
  return s;
}

/**
 * One implementation's round: `prepare` builds both replicas (untimed), `run` times the phases.
 * The source wins every key: it writes after the target (converge's HLC, the plain loops' wall
 * times) or has the larger id where the peer breaks ties by id (Yjs, Loro, Automerge).
 */
export interface RoundImpl {
  readonly impl: string;
  /** Runs one round; throws when the merged target does not read the source's values. */
  readonly round: (keys: readonly string[], expected: number) => RoundSample;
}

/** Times `f`, returning its result and the milliseconds. */
export function clock<T>(f: () => T): [T, number] {
  const start = performance.now();
  const result = f();
  return [result, performance.now() - start];
}

/** Throws when the merged target's read sum is not the one expected. */
export function checkSum(impl: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${impl}: read sum ${got} after the merge, expected ${expected}`);
}

/**
 * Times encode → apply → read on a fresh pair, then apply into a re-decoded copy of the target.
 * The caller's callbacks own the implementation-specific work; every setup step is untimed and
 * followed by a full collection, so a round does not pay for the previous one's garbage.
 */
export function timeRound<P>(
  impl: string,
  expected: number,
  steps: {
    readonly build: () => void;
    readonly encode: () => P;
    readonly bytes: (payload: P) => number | null;
    readonly apply: (payload: P) => void;
    readonly read: () => number;
    /** Drops the local-writes pair and builds a target re-decoded from the target's state. */
    readonly redecode?: () => void;
    readonly applyRedecoded?: (payload: P) => number;
    readonly checkRedecoded?: (result: number) => void;
    readonly free: () => void;
  },
): RoundSample {
  steps.build();
  collectGarbage();
  const start = performance.now();
  const [payload, encodeMs] = clock(steps.encode);
  const t1 = performance.now();
  steps.apply(payload);
  const t2 = performance.now();
  const sum = steps.read();
  const end = performance.now();
  checkSum(impl, sum, expected);
  let applyRedecodedMs: number | null = null;
  if (steps.redecode !== undefined && steps.applyRedecoded !== undefined) {
    steps.redecode();
    collectGarbage();
    const [result, ms] = clock(() => steps.applyRedecoded?.(payload) ?? 0);
    steps.checkRedecoded?.(result);
    applyRedecodedMs = ms;
  }
  const payloadBytes = steps.bytes(payload);
  keep(payload);
  steps.free();
  release();
  return {
    // A loop that ships no bytes has no encode phase (its "encode" only hands the object over).
    encodeMs: payloadBytes === null ? null : encodeMs,
    applyMs: t2 - t1,
    readMs: end - t2,
    roundMs: end - start,
    applyRedecodedMs,
    payloadBytes,
  };
}

/** The sum of every key's value, read one `get` at a time. */
export function readConverge(map: { get: (key: string) => unknown }, keys: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < keys.length; i++) sum += map.get(keys[i] as string) as number;
  return sum;
}

/** Medians of the recorded samples, phase by phase. */
export function medianSample(samples: readonly RoundSample[]): RoundSample | null {
  if (samples.length === 0) return null;
  const med = (f: (s: RoundSample) => number | null): number | null => {
    const values = samples.map(f).filter((v): v is number => v !== null);
    return values.length === 0 ? null : median(values);
  };
  return {
    encodeMs: med((s) => s.encodeMs),
    applyMs: med((s) => s.applyMs) ?? Number.NaN,
    readMs: med((s) => s.readMs) ?? Number.NaN,
    roundMs: med((s) => s.roundMs) ?? Number.NaN,
    applyRedecodedMs: med((s) => s.applyRedecodedMs),
    payloadBytes: samples[0]?.payloadBytes ?? null,
  };
}
