import type { MetricAttributes, MetricsSink } from "@converge/sync";
import { renderPrometheus } from "./prometheus.ts";

/** Upper bounds of the histogram buckets, in the unit observed (ms for `*_ms`); +Inf is implied. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000,
]);

/** One series of a counter or a gauge. */
export interface MetricSample {
  readonly name: string;
  readonly attributes: MetricAttributes;
  readonly value: number;
}

/** One series of a histogram: cumulative counts per bucket upper bound (`le`), plus +Inf as `count`. */
export interface HistogramSample {
  readonly name: string;
  readonly attributes: MetricAttributes;
  readonly count: number;
  readonly sum: number;
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

/** Every series a {@link MemoryMetrics} holds, sorted by name then attributes. */
export interface MetricsSnapshot {
  readonly counters: readonly MetricSample[];
  readonly gauges: readonly MetricSample[];
  readonly histograms: readonly HistogramSample[];
  /** Measurements dropped because their metric already had `maxSeries` series. */
  readonly droppedSeries: number;
}

/** Options of {@link memoryMetrics}. */
export interface MemoryMetricsOptions {
  /** Histogram bucket upper bounds, ascending (default {@link DEFAULT_BUCKETS}). */
  readonly buckets?: readonly number[];
  /**
   * At most this many attribute sets per metric (default 1 000); measurements of further sets are
   * counted in `droppedSeries` and otherwise ignored, so a mistaken high-cardinality attribute
   * cannot grow memory without bound.
   */
  readonly maxSeries?: number;
  /** Prefix of every name in the Prometheus text (default `converge_`). */
  readonly prefix?: string;
}

/** A {@link MetricsSink} that keeps what it receives, for health pages, tests and `/metrics`. */
export interface MemoryMetrics extends MetricsSink {
  /** Every series, as of now (a copy). */
  readonly snapshot: () => MetricsSnapshot;
  /** The Prometheus text exposition format (version 0.0.4) of {@link snapshot}. */
  readonly prometheus: () => string;
  /** Forgets everything. */
  readonly reset: () => void;
}

interface Histogram {
  count: number;
  sum: number;
  readonly counts: number[];
}

/** Canonical text of an attribute set: names sorted, so one set is one series whatever its order. */
function seriesKey(attributes: MetricAttributes | undefined): string {
  if (attributes === undefined) return "";
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, String(attributes[k])]),
  );
}

function attributesOf(key: string): MetricAttributes {
  if (key === "") return Object.freeze({});
  return Object.freeze(Object.fromEntries(JSON.parse(key) as [string, string][]));
}

/**
 * A dependency-free metrics sink that keeps counters (sums), gauges (last value) and histograms
 * (fixed buckets, sum and count) per metric name and attribute set, in memory.
 *
 * Laws: `count` adds (negative or non-finite amounts are ignored: counters only grow); `gauge`
 * keeps the last value set; `observe` adds one to every bucket whose bound is ≥ the value
 * (cumulative, as Prometheus reads them). Attribute order never matters.
 *
 * @example
 * const metrics = memoryMetrics();
 * const server = await createServer({ port: 0, documents, metrics });
 * metrics.snapshot().gauges.find((g) => g.name === "connections")?.value;
 */
export function memoryMetrics(options: MemoryMetricsOptions = {}): MemoryMetrics {
  const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as number;
    if (!Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number))) {
      throw new RangeError("histogram buckets must be finite and strictly ascending");
    }
  }
  const maxSeries = options.maxSeries ?? 1000;
  const prefix = options.prefix ?? "converge_";
  const counters = new Map<string, Map<string, number>>();
  const gauges = new Map<string, Map<string, number>>();
  const histograms = new Map<string, Map<string, Histogram>>();
  let dropped = 0;

  /** The series map of `name`, or undefined when a new series would pass the bound. */
  const series = <T>(
    all: Map<string, Map<string, T>>,
    name: string,
    key: string,
  ): Map<string, T> | undefined => {
    let byKey = all.get(name);
    if (byKey === undefined) {
      byKey = new Map();
      all.set(name, byKey);
    }
    if (!byKey.has(key) && byKey.size >= maxSeries) {
      dropped++;
      return undefined;
    }
    return byKey;
  };

  const sink: MemoryMetrics = {
    count: (name, value, attributes) => {
      if (!Number.isFinite(value) || value < 0) return;
      const key = seriesKey(attributes);
      const s = series(counters, name, key);
      s?.set(key, (s.get(key) ?? 0) + value);
    },
    gauge: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      const key = seriesKey(attributes);
      series(gauges, name, key)?.set(key, value);
    },
    observe: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      const key = seriesKey(attributes);
      const s = series(histograms, name, key);
      if (s === undefined) return;
      let h = s.get(key);
      if (h === undefined) {
        h = { count: 0, sum: 0, counts: buckets.map(() => 0) };
        s.set(key, h);
      }
      h.count++;
      h.sum += value;
      for (let i = 0; i < buckets.length; i++)
        if (value <= (buckets[i] as number)) h.counts[i] = (h.counts[i] as number) + 1;
    },
    snapshot: () => {
      const samples = (all: Map<string, Map<string, number>>): MetricSample[] =>
        [...all.keys()]
          .sort()
          .flatMap((name) =>
            [...(all.get(name) ?? new Map<string, number>())]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([key, value]) => Object.freeze({ name, attributes: attributesOf(key), value })),
          );
      const hist: HistogramSample[] = [...histograms.keys()].sort().flatMap((name) =>
        [...(histograms.get(name) ?? new Map<string, Histogram>())]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, h]) =>
            Object.freeze({
              name,
              attributes: attributesOf(key),
              count: h.count,
              sum: h.sum,
              buckets: Object.freeze(
                buckets.map((le, i) => Object.freeze({ le, count: h.counts[i] as number })),
              ),
            }),
          ),
      );
      return Object.freeze({
        counters: Object.freeze(samples(counters)),
        gauges: Object.freeze(samples(gauges)),
        histograms: Object.freeze(hist),
        droppedSeries: dropped,
      });
    },
    prometheus: () => renderPrometheus(sink.snapshot(), prefix),
    reset: () => {
      counters.clear();
      gauges.clear();
      histograms.clear();
      dropped = 0;
    },
  };
  return Object.freeze(sink);
}
