/** A table column: its header and alignment (numbers right, text left). */
export interface Column {
  readonly header: string;
  readonly align?: "left" | "right";
}

/** How tables are rendered: aligned plain text (the terminal) or Markdown (bench/README.md). */
export type TableFormat = "text" | "markdown";

let format: TableFormat = "text";

/** Switches every later {@link renderTable} call to `f` (the README generator renders Markdown). */
export function setTableFormat(f: TableFormat): void {
  format = f;
}

function renderMarkdown(
  title: string,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const cell = (text: string): string => text.trim().replace(/\|/g, "\\|");
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `| ${columns.map((c) => (c.align === "right" ? "---:" : "---")).join(" | ")} |`;
  const heading = title.trim().startsWith("ratios") ? `*${title.trim()}*` : `#### ${title.trim()}`;
  return [heading, "", line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n");
}

/** Renders an aligned plain-text table (or a Markdown one, see {@link setTableFormat}) under a title. */
export function renderTable(
  title: string,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  if (format === "markdown") return `${renderMarkdown(title, columns, rows)}\n`;
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return c.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [title, line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n");
}

/** Milliseconds with precision that fits the magnitude. */
export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "-";
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** An integer with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A key count: 100k, 1M. */
export function fmtCount(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return fmtInt(n);
}

/** A byte count: exact below 10 KiB, then KiB / MiB. */
export function fmtBytes(n: number): string {
  if (n < 10 * 1024) return `${fmtInt(n)} B`;
  if (n < 10 * 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A ratio as "12.3×". */
export function fmtRatio(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "-";
  return x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

/** Operations per second: 12.3 M/s. */
export function fmtOps(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k/s`;
  return `${opsPerSec.toFixed(0)} /s`;
}

/** `a / b`, or null when either is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}
