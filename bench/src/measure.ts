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
