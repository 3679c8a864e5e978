import { DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { memoryMetrics } from "../src/index.ts";
import { otelMetrics } from "../src/otel.ts";

/** A reader the test collects from by hand. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe("memoryMetrics", () => {
  it("sums counters, keeps a gauge's last value, buckets observations cumulatively", () => {
    const m = memoryMetrics({ buckets: [1, 10] });
    m.count("frames_in", 2, { document: "a" });
    m.count("frames_in", 3, { document: "a" });
    m.count("frames_in", 1, { document: "b" });
    m.count("frames_in", -5, { document: "a" }); // counters only grow
    m.count("frames_in", Number.NaN, { document: "a" });
    m.gauge("connections", 4);
    m.gauge("connections", 2);
    m.observe("apply_ms", 0.5);
    m.observe("apply_ms", 5);
    m.observe("apply_ms", 50);
    const s = m.snapshot();
    expect(s.counters).toEqual([
      { name: "frames_in", attributes: { document: "a" }, value: 5 },
      { name: "frames_in", attributes: { document: "b" }, value: 1 },
    ]);
    expect(s.gauges).toEqual([{ name: "connections", attributes: {}, value: 2 }]);
    expect(s.histograms).toEqual([
      {
        name: "apply_ms",
        attributes: {},
        count: 3,
        sum: 55.5,
        buckets: [
          { le: 1, count: 1 },
          { le: 10, count: 2 },
        ],
      },
    ]);
  });

  it("treats attribute sets as sets: order does not make a new series", () => {
    const m = memoryMetrics();
    m.count("refusals", 1, { code: "FORBIDDEN", document: "a" });
    m.count("refusals", 1, { document: "a", code: "FORBIDDEN" });
    expect(m.snapshot().counters).toEqual([
      { name: "refusals", attributes: { code: "FORBIDDEN", document: "a" }, value: 2 },
    ]);
  });

  it("keeps every series of every metric apart, one attribute or several, through growth and reset", () => {
    const m = memoryMetrics({ buckets: [1, 10] });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 12; i++) {
        const document = `d${i}`;
        m.count("frames_in", i + 1, { document });
        m.count("bytes_in", 10 * (i + 1), { document });
        m.count("refusals", 1, { document, code: i % 2 === 0 ? "FORBIDDEN" : "RATE_LIMITED" });
        for (let j = 0; j <= i; j++) m.observe("apply_ms", j, { document });
      }
      const s = m.snapshot();
      const frames = s.counters.filter((c) => c.name === "frames_in");
      expect(frames.length).toBe(12);
      for (const c of frames) expect(c.value).toBe(Number(c.attributes["document"]?.slice(1)) + 1);
      for (const c of s.counters.filter((x) => x.name === "bytes_in"))
        expect(c.value).toBe(10 * (Number(c.attributes["document"]?.slice(1)) + 1));
      const refusals = s.counters.filter((c) => c.name === "refusals");
      expect(refusals.length).toBe(12);
      for (const c of refusals) {
        const i = Number(c.attributes["document"]?.slice(1));
        expect(c.attributes["code"]).toBe(i % 2 === 0 ? "FORBIDDEN" : "RATE_LIMITED");
        expect(c.value).toBe(1);
      }
      expect(s.histograms.length).toBe(12);
      for (const h of s.histograms) {
        const i = Number(h.attributes["document"]?.slice(1));
        expect(h.count).toBe(i + 1);
        expect(h.sum).toBe((i * (i + 1)) / 2);
        expect(h.buckets).toEqual([
          { le: 1, count: Math.min(i + 1, 2) },
          { le: 10, count: Math.min(i + 1, 11) },
        ]);
      }
      m.reset();
      expect(m.snapshot()).toEqual({ counters: [], gauges: [], histograms: [], droppedSeries: 0 });
    }
  });

  it("bounds the series per metric and counts what it dropped", () => {
    const m = memoryMetrics({ maxSeries: 3 });
    for (let i = 0; i < 10; i++) m.count("frames_in", 1, { document: `d${i}` });
    m.count("frames_in", 1, { document: "d0" }); // an existing series still counts
    const s = m.snapshot();
    expect(s.counters.length).toBe(3);
    expect(s.counters[0]?.value).toBe(2);
    expect(s.droppedSeries).toBe(7);
    m.reset();
    expect(m.snapshot().counters).toEqual([]);
  });

  it("renders the Prometheus text format, escaping label values", () => {
    const m = memoryMetrics({ buckets: [1] });
    m.count("bytes_in", 10, { document: 'we"ird\\name\n' });
    m.gauge("documents", 3);
    m.observe("apply_ms", 0.5);
    m.observe("apply_ms", 2);
    expect(m.prometheus()).toBe(
      [
        "# TYPE converge_bytes_in_total counter",
        'converge_bytes_in_total{document="we\\"ird\\\\name\\n"} 10',
        "# TYPE converge_documents gauge",
        "converge_documents 3",
        "# TYPE converge_apply_ms histogram",
        'converge_apply_ms_bucket{le="1"} 1',
        'converge_apply_ms_bucket{le="+Inf"} 2',
        "converge_apply_ms_sum 2.5",
        "converge_apply_ms_count 2",
        "# TYPE converge_metrics_dropped_series_total counter",
        "converge_metrics_dropped_series_total 0",
        "",
      ].join("\n"),
    );
  });

  it("refuses buckets that are not strictly ascending", () => {
    expect(() => memoryMetrics({ buckets: [2, 1] })).toThrow(RangeError);
  });
});

describe("otelMetrics over the OpenTelemetry SDK", () => {
  it("records counters, gauges and histograms with their attributes", async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ readers: [reader] });
    const sink = otelMetrics(provider.getMeter("converge-test"));
    sink.count("frames_in", 2, { document: "a" });
    sink.count("frames_in", 3, { document: "a" });
    sink.count("frames_in", -1, { document: "a" });
    sink.gauge("connections", 7);
    sink.gauge("connections", 5);
    sink.observe("apply_ms", 4);
    sink.observe("apply_ms", 6);
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    expect([...byName.keys()].sort()).toEqual([
      "converge.apply_ms",
      "converge.connections",
      "converge.frames_in",
    ]);

    const frames = byName.get("converge.frames_in");
    expect(frames?.dataPointType).toBe(DataPointType.SUM);
    expect(frames?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ document: "a" }, 5]]);

    const connections = byName.get("converge.connections");
    expect(connections?.dataPointType).toBe(DataPointType.GAUGE);
    expect(connections?.dataPoints.map((p) => p.value)).toEqual([5]);

    const apply = byName.get("converge.apply_ms");
    expect(apply?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(apply?.descriptor.unit).toBe("ms");
    const point = apply?.dataPoints[0]?.value as { count: number; sum: number };
    expect(point.count).toBe(2);
    expect(point.sum).toBe(10);
    await provider.shutdown();
  });
});
