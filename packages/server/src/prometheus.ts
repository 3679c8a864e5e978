import type { MetricAttributes } from "@converge/sync";
import type { MetricsSnapshot } from "./memory-metrics.ts";

/** A metric name as Prometheus allows it: `[a-zA-Z_:][a-zA-Z0-9_:]*`; anything else becomes `_`. */
export function prometheusName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

const escapeValue = (v: string): string =>
  v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labels(attributes: MetricAttributes, extra?: readonly [string, string]): string {
  const pairs = Object.keys(attributes)
    .sort()
    .map(
      (k) => [k.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1"), String(attributes[k])] as const,
    );
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(",")}}`;
}

const number = (v: number): string =>
  Number.isNaN(v)
    ? "NaN"
    : v === Number.POSITIVE_INFINITY
      ? "+Inf"
      : v === Number.NEGATIVE_INFINITY
        ? "-Inf"
        : String(v);

/**
 * Renders a snapshot in the Prometheus text exposition format 0.0.4: one `# TYPE` line per metric,
 * counters named `<prefix><name>_total`, gauges `<prefix><name>`, histograms as `_bucket{le=…}`
 * (cumulative, ending with `+Inf`), `_sum` and `_count`. Deterministic: series in name, then
 * attribute order.
 */
export function renderPrometheus(snapshot: MetricsSnapshot, prefix = "converge_"): string {
  const out: string[] = [];
  const grouped = <T extends { readonly name: string }>(samples: readonly T[]): Map<string, T[]> => {
    const by = new Map<string, T[]>();
    for (const s of samples) {
      const list = by.get(s.name) ?? [];
      list.push(s);
      by.set(s.name, list);
    }
    return by;
  };
  for (const [name, list] of grouped(snapshot.counters)) {
    const n = prometheusName(`${prefix}${name}_total`);
    out.push(`# TYPE ${n} counter`);
    for (const s of list) out.push(`${n}${labels(s.attributes)} ${number(s.value)}`);
  }
  for (const [name, list] of grouped(snapshot.gauges)) {
    const n = prometheusName(`${prefix}${name}`);
    out.push(`# TYPE ${n} gauge`);
    for (const s of list) out.push(`${n}${labels(s.attributes)} ${number(s.value)}`);
  }
  for (const [name, list] of grouped(snapshot.histograms)) {
    const n = prometheusName(`${prefix}${name}`);
    out.push(`# TYPE ${n} histogram`);
    for (const h of list) {
      for (const b of h.buckets)
        out.push(`${n}_bucket${labels(h.attributes, ["le", number(b.le)])} ${b.count}`);
      out.push(`${n}_bucket${labels(h.attributes, ["le", "+Inf"])} ${h.count}`);
      out.push(`${n}_sum${labels(h.attributes)} ${number(h.sum)}`);
      out.push(`${n}_count${labels(h.attributes)} ${h.count}`);
    }
  }
  const dropped = prometheusName(`${prefix}metrics_dropped_series_total`);
  out.push(`# TYPE ${dropped} counter`, `${dropped} ${snapshot.droppedSeries}`);
  return `${out.join("\n")}\n`;
}
