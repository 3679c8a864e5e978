import type { MetricAttributes } from "@converge/sync";

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

/** Every series a `MemoryMetrics` holds, sorted by name then attributes. */
export interface MetricsSnapshot {
  readonly counters: readonly MetricSample[];
  readonly gauges: readonly MetricSample[];
  readonly histograms: readonly HistogramSample[];
  /** Measurements dropped because their metric already had `maxSeries` series. */
  readonly droppedSeries: number;
}
