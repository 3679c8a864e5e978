/**
 * The README's headline tables, rendered from a results document, so that the front page quotes
 * exactly what bench/results.json holds: `pnpm --filter @converge/bench run report` rewrites the
 * block between the markers in README.md, and a test fails when the two differ.
 */
import type { Workload } from "./config.ts";
import type { ResultsDocument } from "./readme.ts";
import { fmtBytes, fmtCount, fmtInt, fmtMs, fmtRatio, ratio } from "./report.ts";

export const HEADLINE_START =
  "<!-- headline: generated from bench/results.json by `pnpm --filter @converge/bench run report`; do not edit -->";
export const HEADLINE_END = "<!-- /headline -->";

type Cell = string;
const DASH = "–";

const rate = (perSec: number | null | undefined): string => {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return DASH;
  if (perSec >= 10_000) return `${(perSec / 1000).toFixed(0)}k/s`;
  if (perSec >= 1000) return `${(perSec / 1000).toFixed(1)}k/s`;
  return `${perSec.toFixed(0)}/s`;
};
const ms = (x: number | null | undefined): string => (x === null || x === undefined ? DASH : fmtMs(x));
const times = (a: number | null | undefined, base: number | null | undefined): string => {
  const r = ratio(a, base);
  return r === null ? "" : ` (${fmtRatio(r)})`;
};
const ns = (x: number | null | undefined): string =>
  x === null || x === undefined ? DASH : `${fmtInt(x)} ns`;

function when(doc: ResultsDocument, w: Workload): string {
  const s = doc.sections?.[w];
  const date = s?.date ?? doc.date;
  return date.slice(0, 16).replace("T", " ");
}

function table(head: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const align = head.map((_, i) => (i === 0 || i === head.length - 1 ? "---" : "---:"));
  return [
    `| ${head.join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function coreRows(doc: ResultsDocument): Cell[][] {
  const rows: Cell[][] = [];
  const impl = <T extends { readonly impl: string }>(list: readonly T[], name: string): T | undefined =>
    list.find((r) => r.impl === name);
  for (const f of [...doc.fullState].sort((a, b) => b.keys - a.keys)) {
    const get = (name: string): number | null => {
      const r = impl(f.results, name) as { medianMs?: number | null; status?: string } | undefined;
      return r?.status === "ok" ? (r.medianMs ?? null) : null;
    };
    const c = get("converge");
    rows.push([
      `full-state merge, ${fmtCount(f.keys)} concurrent lww keys (decode + merge); with a subscriber`,
      `${ms(c)}; ${ms(get("converge (with subscriber)"))}`,
      `${ms(get("Yjs"))}${times(get("Yjs"), c)}`,
      DASH,
      ms(get("plain JS (JSON)")),
      ms(get("plain JS (in-memory, no decode)")),
      when(doc, "full-state"),
    ]);
  }
  for (const r of doc.round ?? []) {
    const get = (name: string): number | null => {
      const x = impl(r.results, name);
      return x?.status === "ok" ? (x.warm?.roundMs ?? null) : null;
    };
    const c = get("converge");
    rows.push([
      `whole round, ${fmtCount(r.keys)} keys (encode + apply into a written replica + read all)`,
      ms(c),
      `${ms(get("Yjs"))}${times(get("Yjs"), c)}`,
      `${ms(get("Loro"))}${times(get("Loro"), c)}`,
      ms(get("plain JS (JSON)")),
      ms(get("plain JS (in-memory)")),
      when(doc, "round"),
    ]);
  }
  const op = doc.opPath;
  if (op !== undefined && op !== null) {
    const cell = (name: string): string => {
      const x = impl(op.results, name);
      return x === undefined || x.status !== "ok"
        ? DASH
        : `${rate(x.opsPerSec)}, ${x.bytesPerOp === null ? DASH : x.bytesPerOp.toFixed(1)} B`;
    };
    rows.push([
      `op path, ${fmtCount(op.ops)} writes, each shipped as one op; \`batch()\` of 100 per op frame (ops/s, bytes per write)`,
      `${cell("converge")}; ${cell("converge (batched op frame)")}`,
      cell("Yjs"),
      cell("Loro"),
      cell("plain JS (JSON)"),
      DASH,
      when(doc, "op-path"),
    ]);
  }
  for (const d of [...doc.delta].sort((a, b) => b.keys - a.keys)) {
    const cell = (name: string): string => {
      const x = impl(d.results, name);
      return x === undefined ? DASH : `${ms(x.medianMs)}; ${fmtInt(x.deltaBytes)} B`;
    };
    rows.push([
      `delta after ${fmtInt(d.changed)} keys change on a ${fmtCount(d.keys)}-key replica (encode + apply; bytes)`,
      cell("converge"),
      cell("Yjs"),
      cell("Loro"),
      DASH,
      DASH,
      when(doc, "delta"),
    ]);
  }
  const m = doc.memory;
  if (m !== null) {
    const cell = (name: string): string => {
      const w = m.results.find((r) => r.impl === name && r.phase === "written");
      const g = m.results.find((r) => r.impl === name && r.phase === "merged");
      return w === undefined
        ? DASH
        : `${w.bytesPerKey.toFixed(0)} B${g === undefined ? "" : `; ${g.bytesPerKey.toFixed(0)} B`}`;
    };
    rows.push([
      `memory per key, ${fmtCount(m.keys)}-key lww map (heap + array buffers; after a merge)`,
      cell("converge"),
      cell("Yjs"),
      cell("Loro"),
      DASH,
      cell("plain JS Map"),
      when(doc, "memory"),
    ]);
  }
  const k = doc.counters;
  if (k !== null) {
    const get = (name: string): number | null => impl(k.results, name)?.medianMs ?? null;
    const c = get("converge");
    const json = ratio(c, get("plain JS (JSON)"));
    rows.push([
      `counters, ${k.replicas} replicas × ${fmtCount(k.keys)} keys merged into one`,
      `${ms(c)}${json === null ? "" : ` (${fmtRatio(json)} the JSON loop's time)`}`,
      DASH,
      DASH,
      ms(get("plain JS (JSON)")),
      ms(get("plain JS (in-memory, no decode)")),
      when(doc, "counters"),
    ]);
  }
  const t = doc.text;
  if (t !== undefined && t !== null) {
    const cell = (name: string): string => {
      const x = t.impls.find((i) => i.impl === name);
      return x === undefined ? DASH : `${ms(x.mergeMs)}; ${ms(x.mergeReadMs)}`;
    };
    rows.push([
      `text keys, ${fmtInt(t.keys)} × ${fmtBytes(t.textBytes)} edited on two replicas: merge; merge + read all`,
      cell("converge"),
      cell("Yjs"),
      DASH,
      DASH,
      DASH,
      when(doc, "text"),
    ]);
  }
  const s = doc.scripts;
  if (s !== null) {
    const mode = (name: string): number | null => s.modes.find((x) => x.mode === name)?.nsPerMerge ?? null;
    rows.push([
      `resolver script, ${fmtCount(s.keys)} conflicting keys, batched, per merge: QuickJS; supervised isolated-vm`,
      `${ns(mode("QuickJS, batched"))}; ${ns(mode("isolated-vm, supervised, batched"))}`,
      DASH,
      DASH,
      DASH,
      `native ${ns(mode("native function, batched"))}`,
      when(doc, "scripts"),
    ]);
  }
  return rows;
}

function syncRows(doc: ResultsDocument): Cell[][] {
  const sync = doc.sync;
  if (sync === undefined || sync === null) return [];
  const rows: Cell[][] = [];
  const at = when(doc, "sync");
  for (const f of sync.fanout) {
    const c = f.results.find((r) => r.system === "converge")?.median;
    const h = f.results.find((r) => r.system === "hocuspocus")?.median;
    const cell = (x: typeof c, base: typeof c): string =>
      x === undefined || x === null
        ? DASH
        : `${rate(x.opsPerSec)}${base === undefined || base === null ? "" : times(x.opsPerSec, base.opsPerSec)}; p99 ${ms(x.latencyP99Ms)}; ${x.serverCpuUsPerDelivery?.toFixed(2) ?? DASH} µs`;
    rows.push([
      `fan-out, ${fmtInt(f.clients)} clients × ${f.writesPerClient} write${f.writesPerClient === 1 ? "" : "s"}: ops/s; p99 write to visible; server CPU per delivery`,
      cell(c, h),
      cell(h, undefined),
      at,
    ]);
  }
  if (sync.catchup !== null) {
    const cell = (system: string): string => {
      const x = sync.catchup?.results.find((r) => r.system === system)?.median;
      return x === undefined || x === null
        ? DASH
        : `${x.totalBytes === null || x.totalBytes === undefined ? DASH : fmtInt(x.totalBytes)} B; ${ms(x.syncMs)}`;
    };
    rows.push([
      `catch-up after ${fmtCount(sync.catchup.keys)} keys changed: bytes on the wire; time to synced`,
      cell("converge"),
      cell("hocuspocus"),
      at,
    ]);
  }
  if (sync.idle !== null) {
    const cell = (system: string): string => {
      const x = sync.idle?.results.find((r) => r.system === system)?.median;
      return x === undefined || x === null
        ? DASH
        : x.serverBytesPerDocument === null || x.serverBytesPerDocument === undefined
          ? DASH
          : fmtBytes(x.serverBytesPerDocument);
    };
    rows.push([
      `${fmtInt(sync.idle.documents)} idle documents: server memory per document`,
      cell("converge"),
      cell("hocuspocus"),
      at,
    ]);
  }
  return rows;
}

function serverRows(doc: ResultsDocument): Cell[][] {
  const rows: Cell[][] = [];
  const st = doc.storage;
  if (st !== undefined && st !== null) {
    const acks = (system: string): string => {
      const x = st.acks.find((a) => a.system === system);
      return x === undefined ? DASH : `${rate(x.acksPerSec)}; p99 ${ms(x.p99Ms)}`;
    };
    rows.push([
      `${st.clients} writers, own documents, ${st.window} writes in flight: acks/s; p99 to ack`,
      `${acks("converge-sqlite-full")} (fsynced)`,
      `${acks("hocuspocus-sqlite")} (not durable)`,
      when(doc, "storage"),
    ]);
    if (st.load !== null && st.load !== undefined) {
      const l = st.load;
      rows.push([
        `load a ${fmtCount(l.keys)}-key document from SQLite (÷ applying the same bytes in memory)`,
        `${ms(l.converge.loadMs)}${times(l.converge.loadMs, l.converge.applyMs)}`,
        l.hocuspocus === null || l.hocuspocus === undefined
          ? DASH
          : `${ms(l.hocuspocus.loadMs)}${times(l.hocuspocus.loadMs, l.hocuspocus.applyMs)}`,
        when(doc, "storage"),
      ]);
    }
  }
  const cl = doc.cluster;
  if (cl !== undefined && cl !== null) {
    const median = (servers: number, system: string) =>
      cl.sizes.find((s) => s.servers === servers)?.results.find((r) => r.system === system)?.median ?? null;
    const most = Math.max(...cl.sizes.map((s) => s.servers));
    const p99 = (system: string): string => ms(median(most, system)?.pacedP99Ms ?? null);
    rows.push([
      `cluster over Redis, ${cl.clients} clients, paced writes: p99 write on server 1 → visible on server ${most}`,
      p99("converge"),
      p99("hocuspocus"),
      when(doc, "cluster"),
    ]);
    const burst = (system: string): string =>
      cl.sizes.map((s) => rate(median(s.servers, system)?.burstAckedPerSec ?? null)).join(" / ");
    rows.push([
      `cluster over Redis, burst, ${cl.sizes.map((s) => s.servers).join(" / ")} servers: acknowledged ops/s`,
      burst("converge"),
      burst("hocuspocus"),
      when(doc, "cluster"),
    ]);
  }
  return rows;
}

/** The headline block: three tables and the count of goals met, every row dated. */
export function renderHeadline(doc: ResultsDocument): string {
  const met = doc.targets.filter((t) => t.met === true).length;
  const judged = doc.targets.filter((t) => t.met !== null).length;
  const parts = [
    HEADLINE_START,
    table(
      ["workload", "converge", "Yjs", "Loro", "plain JS (JSON)", "plain JS (in-memory)", "measured (UTC)"],
      coreRows(doc),
    ),
    "",
    table(["sync, beside Hocuspocus 4", "converge", "Hocuspocus", "measured (UTC)"], syncRows(doc)),
    "",
    table(["durable storage and scale-out", "converge", "Hocuspocus", "measured (UTC)"], serverRows(doc)),
    "",
    `Goals met in these results: **${met} of ${judged}**; every goal with its measurement is in [bench/README.md](bench/README.md#targets).`,
    HEADLINE_END,
  ];
  return parts.join("\n");
}

/** `readme` with its headline block replaced by `block`; throws when the markers are missing. */
export function withHeadline(readme: string, block: string): string {
  const start = readme.indexOf(HEADLINE_START);
  const end = readme.indexOf(HEADLINE_END);
  if (start < 0 || end < start) throw new Error("README.md has no headline markers");
  return readme.slice(0, start) + block + readme.slice(end + HEADLINE_END.length);
}
