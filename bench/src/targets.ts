import type { DeltaResult } from "./workloads/delta.ts";
import type { FullStateResult } from "./workloads/full-state.ts";
import type { MemoryResult } from "./workloads/memory.ts";

/** One performance target and whether this run met it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** null when the run did not measure it. */
  readonly met: boolean | null;
}

const x = (v: number | null): string => (v === null ? "-" : `${v.toFixed(2)}×`);

/** Checks the project's performance targets against this run's numbers (ratios within the run). */
export function checkTargets(
  fullState: readonly FullStateResult[],
  delta: readonly DeltaResult[],
  memory: MemoryResult | undefined,
): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const f of fullState) {
    out.push({
      target: `full-state ${f.keys} keys: converge ≥ 10× faster than Yjs`,
      measured: `${x(f.yjsOverConverge)} faster`,
      met: f.yjsOverConverge === null ? null : f.yjsOverConverge >= 10,
    });
    out.push({
      target: `full-state ${f.keys} keys: converge ≤ 2× plain JS (JSON)`,
      measured: `${x(f.convergeOverPlainJson)} plain JS`,
      met: f.convergeOverPlainJson === null ? null : f.convergeOverPlainJson <= 2,
    });
  }
  for (const d of delta) {
    const c = d.results.find((r) => r.impl === "converge");
    const y = d.results.find((r) => r.impl === "Yjs");
    if (c === undefined || y === undefined) continue;
    out.push({
      target: `delta ${d.keys} keys, ${d.changed} changed: converge size ≤ Yjs size`,
      measured: `${c.deltaBytes} B vs ${y.deltaBytes} B`,
      met: c.deltaBytes <= y.deltaBytes,
    });
  }
  if (memory === undefined) return out;
  out.push({
    target: `memory ${memory.keys} keys: converge ≤ 1/3 of Yjs per key`,
    measured: `${x(memory.convergeOverYjs)} Yjs`,
    met: memory.convergeOverYjs === null || !memory.gcExposed ? null : memory.convergeOverYjs <= 1 / 3,
  });
  return out;
}
