import { cpus, totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { canCollect } from "./measure.ts";

/** Where the benchmark ran. */
export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly heapLimitBytes: number;
  readonly gcExposed: boolean;
}

/** Describes this machine and process. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    totalMemoryBytes: totalmem(),
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    gcExposed: canCollect(),
  };
}
