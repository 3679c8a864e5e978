import type { ServerStats } from "./server-messages.ts";

/** The `q` quantile (0..1) of `samples` (sorted ascending) by nearest rank, or null when empty. */
export function quantile(samples: Float64Array, q: number): number | null {
  if (samples.length === 0) return null;
  const i = Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1));
  return samples[i] ?? null;
}

/** Server memory counted per client or document: V8 heap in use plus memory held outside it, after GC. */
export function heldBytes(s: ServerStats): number {
  return s.heapUsed + s.external;
}

/** Server CPU µs spent between two stats reads (the first read's GC excluded). */
export function cpuBetween(start: ServerStats, end: ServerStats): number {
  return end.cpuUs - start.cpuAfterGcUs;
}

/** The median of the non-null values, or null. */
export function medianOf(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** A short description of an error, for a sample's note. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
