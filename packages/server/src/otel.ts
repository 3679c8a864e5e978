/**
 * @converge/server/otel — the converge metrics sink over OpenTelemetry's metrics API.
 *
 * A subpath of its own so that importing `@converge/server` never needs `@opentelemetry/api`
 * (an optional peer dependency, ≥ 1.9 for synchronous gauges). Only the API's types are imported:
 * the adapter calls the `Meter` it is given.
 *
 * @packageDocumentation
 */

import type { MetricsSink } from "@converge/sync";
import type { Counter, Gauge, Histogram, Meter } from "@opentelemetry/api";

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /** Prefix of every instrument name (default `converge.`). */
  readonly prefix?: string;
}

/**
 * A {@link MetricsSink} that records into an OpenTelemetry `Meter`: `count` → a Counter (`add`),
 * `gauge` → a synchronous Gauge (`record`), `observe` → a Histogram (`record`). Each instrument is
 * created once, on first use, named `<prefix><name>`; names ending in `_ms` get unit `ms` and
 * `bytes` ones `By`. Attributes pass through unchanged (converge's are small fixed sets, never
 * map keys). Counters ignore negative and non-finite amounts, as the API requires.
 *
 * @example
 * import { metrics } from "@opentelemetry/api";
 * import { otelMetrics } from "@converge/server/otel";
 * const server = await createServer({ port: 8080, documents, metrics: otelMetrics(metrics.getMeter("converge")) });
 */
export function otelMetrics(meter: Meter, options: OtelMetricsOptions = {}): MetricsSink {
  const prefix = options.prefix ?? "converge.";
  const counters = new Map<string, Counter>();
  const gauges = new Map<string, Gauge>();
  const histograms = new Map<string, Histogram>();
  const unitOf = (name: string): { unit?: string } =>
    name.endsWith("_ms") ? { unit: "ms" } : name.includes("bytes") ? { unit: "By" } : {};
  const instrument = <T>(
    all: Map<string, T>,
    name: string,
    make: (n: string, o: { unit?: string }) => T,
  ): T => {
    let i = all.get(name);
    if (i === undefined) {
      i = make(`${prefix}${name}`, unitOf(name));
      all.set(name, i);
    }
    return i;
  };
  const sink: MetricsSink = {
    count: (name, value, attributes) => {
      if (!Number.isFinite(value) || value < 0) return;
      instrument(counters, name, (n, o) => meter.createCounter(n, o)).add(value, attributes);
    },
    gauge: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      instrument(gauges, name, (n, o) => meter.createGauge(n, o)).record(value, attributes);
    },
    observe: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      instrument(histograms, name, (n, o) => meter.createHistogram(n, o)).record(value, attributes);
    },
  };
  return Object.freeze(sink);
}
