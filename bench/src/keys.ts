/** The i-th benchmark key. */
export function keyOf(i: number): string {
  return `key:${i}`;
}

/** Keys 0..n-1. */
export function makeKeys(n: number): string[] {
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = keyOf(i);
  return keys;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * `count` distinct key indexes in [0, n) for round `round`, spread over the key space (a stride
 * coprime with n visits every index once per n picks).
 */
export function spreadIndexes(n: number, count: number, round: number): number[] {
  let stride = 7919;
  while (gcd(stride, n) !== 1) stride += 2;
  const out: number[] = [];
  for (let j = 0; j < Math.min(count, n); j++) out.push(((round * count + j) * stride) % n);
  return out;
}
