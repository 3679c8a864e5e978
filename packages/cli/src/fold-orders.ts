/** `orders`: the permutations of a list's indices a fold or a resolve is checked in. */

/** The orders a fold is checked in: all of them up to 4 values, else 24 (the list, reversed, and shuffles). */
export function orders(n: number, seed: number): number[][] {
  const ids = Array.from({ length: n }, (_, i) => i);
  if (n <= 4) {
    const out: number[][] = [];
    const walk = (prefix: number[], rest: number[]): void => {
      if (rest.length === 0) out.push(prefix);
      rest.forEach((x, i) => {
        walk([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]);
      });
    };
    walk([], ids);
    return out;
  }
  const out = [ids, [...ids].reverse()];
  let x = seed >>> 0;
  while (out.length < 24) {
    const p = [...ids];
    for (let i = n - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (i + 1);
      [p[i], p[j]] = [p[j] as number, p[i] as number];
    }
    out.push(p);
  }
  return out;
}
