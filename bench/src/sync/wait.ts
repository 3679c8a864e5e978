/** A wait that gave up: the bench reports it instead of hanging. */
export class BenchTimeout extends Error {
  readonly code = "BENCH_TIMEOUT";
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = "BenchTimeout";
  }
}

/** Resolves with `promise`, or rejects with a {@link BenchTimeout} after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeout(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `done` every `everyMs` (default 5) until it returns true; rejects with a
 * {@link BenchTimeout} after `ms`. Polling (not events) keeps waits uniform across systems.
 */
export async function waitUntil(done: () => boolean, ms: number, what: string, everyMs = 5): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new BenchTimeout(what, ms);
    await sleep(everyMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Yields one macrotask turn (I/O callbacks run). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` in flight; rejects on the first failure. */
export async function inPool(
  n: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, worker));
}
