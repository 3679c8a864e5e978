import type { MetricAttributes, MetricsSink } from "@converge/sync";
import type { HistogramSample, MetricSample, MetricsSnapshot } from "./metrics-snapshot.ts";
import { renderPrometheus } from "./prometheus.ts";

export type { HistogramSample, MetricSample, MetricsSnapshot } from "./metrics-snapshot.ts";

/** Upper bounds of the histogram buckets, in the unit observed (ms for `*_ms`); +Inf is implied. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000,
]);

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

/** One histogram metric: a row of `2 + buckets` numbers (count, sum, bucket counts) per series. */
interface Histogram {
  /** Series id → row. */
  readonly rows: Map<number, number>;
  data: Float64Array;
}

/** Canonical text of an attribute set: names sorted, so one set is one series whatever its order. */
function seriesKey(attributes: MetricAttributes): string {
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
 * Attribute sets numbered once for every metric (so a document's seven series share one key),
 * looked up without building a key for a set of one attribute: name → value → id.
 */
class SeriesIds {
  /** Canonical key → id; id 0 is the empty set. */
  readonly #ids = new Map<string, number>([["", 0]]);
  /** Id → canonical key. */
  readonly keys: string[] = [""];
  readonly #single = new Map<string, Map<string, number>>();
  /** The set the last {@link find} missed, for {@link add}. */
  #missName: string | undefined;
  #missValue = "";
  #missKey: string | undefined;

  /** The id of `attributes`, or -1 when it has none yet (then {@link add} gives it one). */
  find(attributes: MetricAttributes | undefined): number {
    if (attributes === undefined) return 0;
    let name: string | undefined;
    let many = false;
    for (const k in attributes) {
      if (!Object.hasOwn(attributes, k)) continue;
      if (name !== undefined) {
        many = true;
        break;
      }
      name = k;
    }
    if (name === undefined) return 0;
    if (!many) {
      const value = String(attributes[name]);
      const id = this.#single.get(name)?.get(value);
      if (id !== undefined) return id;
      this.#missName = name;
      this.#missValue = value;
      this.#missKey = undefined;
      return -1;
    }
    const key = seriesKey(attributes);
    const id = this.#ids.get(key);
    if (id !== undefined) return id;
    this.#missName = undefined;
    this.#missKey = key;
    return -1;
  }

  /** Numbers the set the last {@link find} missed. */
  add(): number {
    const name = this.#missName;
    const key = name === undefined ? (this.#missKey as string) : JSON.stringify([[name, this.#missValue]]);
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.#ids.set(key, id);
    }
    if (name !== undefined) {
      let byValue = this.#single.get(name);
      if (byValue === undefined) {
        byValue = new Map();
        this.#single.set(name, byValue);
      }
      byValue.set(this.#missValue, id);
    }
    return id;
  }

  clear(): void {
    this.#ids.clear();
    this.#ids.set("", 0);
    this.keys.length = 1;
    this.#single.clear();
  }
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
  const width = 2 + buckets.length;
  const ids = new SeriesIds();
  const counters = new Map<string, Map<number, number>>();
  const gauges = new Map<string, Map<number, number>>();
  const histograms = new Map<string, Histogram>();
  let dropped = 0;

  /** The series id of `attributes` in a metric holding the series of `held`, or -1 when it is full (dropped). */
  const seriesOf = (attributes: MetricAttributes | undefined, held: ReadonlyMap<number, unknown>): number => {
    const id = ids.find(attributes);
    if (id >= 0 && (held.has(id) || held.size < maxSeries)) return id;
    if (held.size >= maxSeries) {
      dropped++;
      return -1;
    }
    return ids.add();
  };
  const valuesOf = (all: Map<string, Map<number, number>>, name: string): Map<number, number> => {
    let values = all.get(name);
    if (values === undefined) {
      values = new Map();
      all.set(name, values);
    }
    return values;
  };

  const sink: MemoryMetrics = {
    count: (name, value, attributes) => {
      if (!Number.isFinite(value) || value < 0) return;
      const values = valuesOf(counters, name);
      const id = seriesOf(attributes, values);
      if (id >= 0) values.set(id, (values.get(id) ?? 0) + value);
    },
    gauge: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      const values = valuesOf(gauges, name);
      const id = seriesOf(attributes, values);
      if (id >= 0) values.set(id, value);
    },
    observe: (name, value, attributes) => {
      if (!Number.isFinite(value)) return;
      let h = histograms.get(name);
      if (h === undefined) {
        h = { rows: new Map(), data: new Float64Array(width * 4) };
        histograms.set(name, h);
      }
      const id = seriesOf(attributes, h.rows);
      if (id < 0) return;
      let row = h.rows.get(id);
      if (row === undefined) {
        row = h.rows.size;
        if ((row + 1) * width > h.data.length) {
          const grown = new Float64Array(h.data.length * 2);
          grown.set(h.data);
          h.data = grown;
        }
        h.rows.set(id, row);
      }
      const data = h.data;
      const at = row * width;
      data[at] = (data[at] as number) + 1;
      data[at + 1] = (data[at + 1] as number) + value;
      for (let i = 0; i < buckets.length; i++)
        if (value <= (buckets[i] as number)) data[at + 2 + i] = (data[at + 2 + i] as number) + 1;
    },
    snapshot: () => {
      const byKey = <T>(held: ReadonlyMap<number, T>): [string, T][] =>
        [...held]
          .map(([id, v]): [string, T] => [ids.keys[id] as string, v])
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const samples = (all: Map<string, Map<number, number>>): MetricSample[] =>
        [...all.keys()]
          .sort()
          .flatMap((name) =>
            byKey(all.get(name) ?? new Map<number, number>()).map(([key, value]) =>
              Object.freeze({ name, attributes: attributesOf(key), value }),
            ),
          );
      const hist: HistogramSample[] = [...histograms.keys()].sort().flatMap((name) => {
        const h = histograms.get(name) as Histogram;
        return byKey(h.rows).map(([key, row]) => {
          const at = row * width;
          return Object.freeze({
            name,
            attributes: attributesOf(key),
            count: h.data[at] as number,
            sum: h.data[at + 1] as number,
            buckets: Object.freeze(
              buckets.map((le, i) => Object.freeze({ le, count: h.data[at + 2 + i] as number })),
            ),
          });
        });
      });
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
      ids.clear();
      dropped = 0;
    },
  };
  return Object.freeze(sink);
}
