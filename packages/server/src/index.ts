/**
 * @converge/server — a converge sync server for Node.
 *
 * `createServer` hosts documents (each a replicated map with its own key rules, served to clients
 * as a manifest) behind an HTTP server: WebSocket connections on `/sync`, `GET /healthz` and
 * `GET /metrics` (Prometheus text). Authentication, authorization, change events, the store,
 * limits and metrics are options. `converge serve` runs it from the command line.
 *
 * @packageDocumentation
 */

export { createServer } from "./create-server.ts";
export {
  DEFAULT_BUCKETS,
  type HistogramSample,
  type MemoryMetrics,
  type MemoryMetricsOptions,
  type MetricSample,
  type MetricsSnapshot,
  memoryMetrics,
} from "./memory-metrics.ts";
export { prometheusName, renderPrometheus } from "./prometheus.ts";
export {
  type DocumentResolver,
  documentsFromRules,
  loadRulesFile,
  parseRulesFile,
  type RulesFile,
} from "./rules-file.ts";
export type { ConvergeServer, ServerOptions } from "./server-types.ts";
export { teeMetrics } from "./tee-metrics.ts";
