/**
 * Where the sync host and sessions report measurements. No dependency: a sink is three
 * functions; `@converge/server` adapts one to OpenTelemetry. Attributes are small fixed sets
 * (document names at most — never map keys).
 */
export interface MetricsSink {
  /** Adds `value` to a monotonic counter (`frames_in`, `bytes_out`, `refusals`…). */
  readonly count: (name: string, value: number, attributes?: MetricAttributes) => void;
  /** Sets a gauge (`connections`, `documents`, `outbox_depth`, `send_queue_bytes`). */
  readonly gauge: (name: string, value: number, attributes?: MetricAttributes) => void;
  /** Records one observation of a distribution (`apply_ms`). */
  readonly observe: (name: string, value: number, attributes?: MetricAttributes) => void;
}

/** Metric attributes: a few string values, never map keys. */
export type MetricAttributes = Readonly<Record<string, string>>;
