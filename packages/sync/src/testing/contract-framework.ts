/**
 * The part of a test framework the contract kits use: `describe` groups, `it` registers one test
 * (an async body; the kit passes a timeout in ms as a third argument, which vitest, Jest and Mocha
 * style runners accept). Assertions are the kit's own, so any runner works.
 */
export interface ContractFramework {
  readonly describe: (name: string, body: () => void) => void;
  readonly it: (name: string, body: () => Promise<void>, timeout?: number) => void;
}

/** A contract violation: the message says which law, what was expected and what happened. */
export function fail(message: string): never {
  throw new Error(`contract violated: ${message}`);
}

/** Fails unless `condition` holds. */
export function check(condition: boolean, message: string): void {
  if (!condition) fail(message);
}

/** Fails unless two byte arrays are equal; the message shows where they first differ. */
export function checkBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  if (actual === undefined) fail(`${what}: missing, expected ${expected.length} bytes`);
  if (actual.length !== expected.length) fail(`${what}: ${actual.length} bytes, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i])
      fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]} (of ${expected.length})`);
  }
}

/** Fails unless two values have the same JSON form (for plain records and arrays). */
export function checkJson(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every few ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(2);
  }
}

/** `n` bytes of a pattern seeded by `seed`, so each frame's content is distinct and checkable. */
export function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
