import {
  createClock,
  decodeTimestamp,
  encodeTimestamp,
  type Timestamp,
  timestampFromHex,
  timestampToHex,
} from "@converge/hlc";
import type { BenchConfig } from "../config.ts";
import { measure } from "../measure.ts";
import { nodeId } from "../replicas.ts";

/** Throughput of one HLC operation. */
export interface HlcResult {
  readonly op: string;
  readonly iterations: number;
  readonly medianMs: number;
  readonly samplesMs: readonly number[];
  readonly opsPerSec: number;
  readonly nsPerOp: number;
}

/** Inputs are cycled through a small pool (a power of two) so the loop measures the operation. */
const POOL = 1024;

/** Each loop runs `iterations` operations and returns a checksum (so nothing is optimised away). */
type Loop = (iterations: number) => number;

function loops(): readonly { readonly op: string; readonly loop: Loop }[] {
  const clock = createClock({ node: nodeId(0xa) });
  const remoteClock = createClock({ node: nodeId(0xb) });
  const remotes: Timestamp[] = [];
  for (let i = 0; i < POOL; i++) remotes.push(remoteClock.tick());
  const bytes = remotes.map((t) => encodeTimestamp(t));
  const hex = remotes.map((t) => timestampToHex(t));
  return [
    {
      op: "clock.tick()",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++) sum += clock.tick().counter;
        return sum;
      },
    },
    {
      op: "clock.observe(remote)",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++)
          sum += clock.observe(remotes[i & (POOL - 1)] as Timestamp).counter;
        return sum;
      },
    },
    {
      op: "encodeTimestamp",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++)
          sum += encodeTimestamp(remotes[i & (POOL - 1)] as Timestamp)[15] as number;
        return sum;
      },
    },
    {
      op: "decodeTimestamp",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++)
          sum += decodeTimestamp(bytes[i & (POOL - 1)] as Uint8Array).counter;
        return sum;
      },
    },
    {
      op: "timestampToHex",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++)
          sum += timestampToHex(remotes[i & (POOL - 1)] as Timestamp).length;
        return sum;
      },
    },
    {
      op: "timestampFromHex",
      loop: (iterations) => {
        let sum = 0;
        for (let i = 0; i < iterations; i++) sum += timestampFromHex(hex[i & (POOL - 1)] as string).counter;
        return sum;
      },
    },
  ];
}

/** Operations per second of each HLC operation, median of the repetitions. */
export function runHlc(config: BenchConfig, log: (msg: string) => void): HlcResult[] {
  const { hlcIterations: iterations, hlcReps: reps } = config;
  const out: HlcResult[] = [];
  for (const { op, loop } of loops()) {
    log(`hlc: ${op}`);
    const timing = measure(
      { reps, warmup: 1, gc: false },
      () => iterations,
      (count) => loop(count),
    );
    out.push({
      op,
      iterations,
      medianMs: timing.medianMs,
      samplesMs: timing.samplesMs,
      opsPerSec: iterations / (timing.medianMs / 1000),
      nsPerOp: (timing.medianMs * 1e6) / iterations,
    });
  }
  return out;
}
