/** Median and raw samples of one measurement, in milliseconds. */
export interface Timing {
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
  /** The unrecorded warm-up runs (the first is the cold one). */
  readonly warmupMs: readonly number[];
}

/** Holds the last value passed to {@link keep}. */
const held: unknown[] = [];

/** Keeps a value reachable so the work that produced it cannot be optimised away. */
export function keep(value: unknown): void {
  held[0] = value;
}

/** Drops what {@link keep} holds. */
export function release(): void {
  held.length = 0;
}

/** True when the process runs with --expose-gc. */
export function canCollect(): boolean {
  return typeof globalThis.gc === "function";
}

/** Runs a full garbage collection (twice, to also clear what finalizers released); no-op without --expose-gc. */
export function collectGarbage(): void {
  const gc = globalThis.gc;
  if (gc === undefined) return;
  gc();
  gc();
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Recorded repetitions. */
  readonly reps: number;
  /** Unrecorded repetitions run first (JIT warm-up); default 0. */
  readonly warmup?: number;
  /** Collect garbage after each setup, so the timed run does not pay for it; default true. */
  readonly gc?: boolean;
}

/**
 * Times `run(setup())` repeatedly. `setup` is not timed; its result is a fresh input for one run.
 * `check`, when given, inspects the input after the last run (untimed). Returns the median and
 * every recorded sample.
 */
export function measure<S>(
  options: MeasureOptions,
  setup: () => S,
  run: (input: S) => unknown,
  check?: (input: S) => void,
): Timing {
  const samples: number[] = [];
  const warmups: number[] = [];
  const total = (options.warmup ?? 0) + options.reps;
  for (let i = 0; i < total; i++) {
    release();
    const input = setup();
    if (options.gc !== false) collectGarbage();
    const start = performance.now();
    const result = run(input);
    const ms = performance.now() - start;
    keep(result);
    if (i >= total - options.reps) samples.push(ms);
    else warmups.push(ms);
    if (i === total - 1) check?.(input);
  }
  release();
  return { medianMs: median(samples), samplesMs: samples, warmupMs: warmups };
}

/** Runs `f` once and returns its result with the elapsed milliseconds. */
export function timed<T>(f: () => T): { readonly result: T; readonly ms: number } {
  const start = performance.now();
  const result = f();
  return { result, ms: performance.now() - start };
}

/** One timed case: a fresh input, the timed run on it, a check of the input after the last run. */
export interface Case<S> {
  readonly setup: () => S;
  readonly run: (input: S) => unknown;
  readonly check?: (input: S) => void;
}

/** A case with its input type closed over: a fresh input, then its run and its check on that input. */
export interface TimedCase {
  readonly fresh: () => { readonly run: () => unknown; readonly check: () => void };
}

/** Closes `c` over its input type, so cases of different inputs share one list. */
export function timedCase<S>(c: Case<S>): TimedCase {
  return {
    fresh: () => {
      const input = c.setup();
      return { run: () => c.run(input), check: () => c.check?.(input) };
    },
  };
}

/**
 * Times every case once per round, round after round (interleaved, so a change in the machine's
 * load touches every implementation alike), `warmup` unrecorded rounds first. Each run gets a fresh
 * input from its setup (untimed, garbage collected before the run); each check sees the input of
 * its case's last run. Returns one {@link Timing} per case, in order.
 */
export function interleaved(opts: { reps: number; warmup?: number }, cases: readonly TimedCase[]): Timing[] {
  const warmup = opts.warmup ?? 0;
  const samples: number[][] = cases.map(() => []);
  const warmups: number[][] = cases.map(() => []);
  const total = warmup + opts.reps;
  for (let i = 0; i < total; i++) {
    cases.forEach((c, k) => {
      release();
      const one = c.fresh();
      collectGarbage();
      const start = performance.now();
      const result = one.run();
      const ms = performance.now() - start;
      keep(result);
      (i >= warmup ? samples[k] : warmups[k])?.push(ms);
      if (i === total - 1) one.check();
    });
  }
  release();
  return samples.map((x, k) => ({ medianMs: median(x), samplesMs: x, warmupMs: warmups[k] ?? [] }));
}
