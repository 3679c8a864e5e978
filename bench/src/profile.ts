/**
 * Small converge-only loops to run under a profiler:
 *
 *   node --conditions=@converge/source --expose-gc --cpu-prof --cpu-prof-dir=.prof src/profile.ts op-path 100000
 *   node --conditions=@converge/source --expose-gc --cpu-prof --cpu-prof-dir=.prof src/profile.ts round 100000
 *
 * op-path: N single-key writes on A, each shipped to B (onOp → applyOp), three times.
 * op-batch: the same writes in batches of 100, each batch shipped as one op frame, three times.
 * round: A and B write every key, then encode A, apply into B, read every key of B, three times.
 * full-state: B's full state merged into a replica built by decoding A's, without and with a
 * subscriber that reads every change's key (interleaved, five times each).
 * Prints each phase's time; the .cpuprofile files open in Chrome DevTools or speedscope.
 */
import { makeKeys } from "./keys.ts";
import { collectGarbage } from "./measure.ts";
import { lwwReplica, NODE_A, NODE_B } from "./replicas.ts";

const mode = process.argv[2] ?? "op-path";
const n = Number(process.argv[3] ?? 100_000);
const keys = makeKeys(n);
const ms = (start: number): string => `${(performance.now() - start).toFixed(1)} ms`;

function opPath(): void {
  const a = lwwReplica(NODE_A);
  const b = lwwReplica(NODE_B);
  let bytes = 0;
  a.onOp((op) => {
    bytes += op.length;
    b.applyOp(op);
  });
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i++) a.set(keys[i] as string, i & 1023);
  process.stdout.write(`op path: ${n} ops in ${ms(start)}, ${(bytes / n).toFixed(1)} B/op\n`);
}

function opBatch(): void {
  const a = lwwReplica(NODE_A);
  const b = lwwReplica(NODE_B);
  let bytes = 0;
  a.onOp((op) => {
    bytes += op.length;
    b.applyOp(op);
  });
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < n; i += 100) {
    a.batch(() => {
      for (let j = i; j < Math.min(n, i + 100); j++) a.set(keys[j] as string, j & 1023);
    });
  }
  process.stdout.write(`op batch: ${n} ops in ${ms(start)}, ${(bytes / n).toFixed(1)} B/op\n`);
}

function round(): void {
  const b = lwwReplica(NODE_A);
  for (let i = 0; i < n; i++) b.set(keys[i] as string, (i * 7) & 1023);
  const a = lwwReplica(NODE_B);
  for (let i = 0; i < n; i++) a.set(keys[i] as string, i & 1023);
  collectGarbage();
  let t = performance.now();
  const payload = a.encodeState();
  const encode = ms(t);
  t = performance.now();
  b.applyState(payload);
  const apply = ms(t);
  t = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += b.get(keys[i] as string) as number;
  process.stdout.write(`round: encode ${encode}, apply ${apply}, read ${ms(t)} (sum ${sum})\n`);
}

function fullState(): void {
  const a = lwwReplica(NODE_A);
  for (let i = 0; i < n; i++) a.set(keys[i] as string, i & 1023);
  const b = lwwReplica(NODE_B);
  for (let i = 0; i < n; i++) b.set(keys[i] as string, (i * 7) & 1023);
  const aBytes = a.encodeState();
  const bBytes = b.encodeState();
  const times = { plain: [] as number[], subscriber: [] as number[] };
  for (let r = 0; r < 7; r++) {
    for (const mode of ["plain", "subscriber"] as const) {
      const fresh = lwwReplica(NODE_A);
      fresh.applyState(aBytes);
      let seen = 0;
      if (mode === "subscriber")
        fresh.subscribe((event) => {
          for (const c of event.changes) if (c.key !== "") seen++;
        });
      collectGarbage();
      const t = performance.now();
      fresh.applyState(bBytes);
      times[mode].push(performance.now() - t);
      if (mode === "subscriber" && seen !== n) throw new Error(`saw ${seen} changes, expected ${n}`);
    }
  }
  const med = (xs: number[]): string => [...xs].sort((x, y) => x - y)[xs.length >> 1]?.toFixed(1) ?? "";
  process.stdout.write(
    `full-state ${n}: without ${med(times.plain)} ms, with a subscriber ${med(times.subscriber)} ms\n`,
  );
}

for (let r = 0; r < 3; r++) {
  if (mode === "full-state") {
    fullState();
    break;
  }
  if (mode === "round") round();
  else if (mode === "op-batch") opBatch();
  else opPath();
}
