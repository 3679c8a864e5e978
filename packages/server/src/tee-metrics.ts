import type { MetricsSink } from "@converge/sync";

/** A sink that forwards every measurement to each of `sinks`, in order. */
export function teeMetrics(...sinks: readonly MetricsSink[]): MetricsSink {
  const sink: MetricsSink = {
    count: (name, value, attributes) => {
      for (const s of sinks) s.count(name, value, attributes);
    },
    gauge: (name, value, attributes) => {
      for (const s of sinks) s.gauge(name, value, attributes);
    },
    observe: (name, value, attributes) => {
      for (const s of sinks) s.observe(name, value, attributes);
    },
  };
  return Object.freeze(sink);
}
