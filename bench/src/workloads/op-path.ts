import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { makeKeys } from "../keys.ts";
import { collectGarbage, median } from "../measure.ts";
import type { LwwEntry, LwwTuple } from "../plain-lww.ts";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";

/**
 * The op path, what a live sync server runs: N single-key writes on replica A, each shipped to B
 * as its own op payload the moment it is made (converge `onOp` → `applyOp`; Yjs one update per
 * transaction; Loro one update per commit; plain JS one JSON message per write). Timed from the
 * first write to the last apply; both replicas are fresh each run and the keys are distinct.
 */

/** Unrecorded runs before the recorded ones (the first is the cold run). */
export const OP_WARMUP = 2;
/** Runs of an implementation whose cold run took longer than the slow budget (cold + one recorded). */
const SLOW_ROUNDS = 2;

/** One run: wall time, ops shipped and their bytes. */
interface OpRun {
  readonly ms: number;
  readonly ops: number;
  readonly bytes: number;
}

/** One implementation on the op path. */
export interface OpImplResult {
  readonly impl: string;
  readonly status: "ok" | "skipped";
  readonly note: string;
  readonly medianMs: number | null;
  readonly samplesMs: readonly number[];
  readonly coldMs: number | null;
  /** Writes per second, write + encode + ship + apply (median run). */
  readonly opsPerSec: number | null;
  /** Average payload bytes per op. */
  readonly bytesPerOp: number | null;
}

/** The op path at one size. */
export interface OpPathResult {
  readonly ops: number;
  readonly reps: number;
  readonly results: readonly OpImplResult[];
}

const value = (i: number): number => i & 1023;

function convergeOps(keys: readonly string[]): OpRun {
  const a = lwwReplica(NODE_A);
  const b = lwwReplica(NODE_B);
  let bytes = 0;
  let ops = 0;
  a.onOp((op) => {
    bytes += op.length;
    ops++;
    b.applyOp(op);
  });
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < keys.length; i++) a.set(keys[i] as string, value(i));
  const ms = performance.now() - start;
  checkReplica("converge", b, keys);
  return { ms, ops, bytes };
}

/** What the op-path check reads of a target map (converge, Y.Map, LoroMap alike). */
interface Readable {
  readonly size: number;
  get(key: string): unknown;
}

function checkReplica(impl: string, b: Readable, keys: readonly string[]): void {
  const last = keys.length - 1;
  if (b.size !== keys.length || b.get(keys[last] as string) !== value(last)) {
    throw new Error(`${impl} op path: B has ${b.size} keys, expected ${keys.length}`);
  }
}

/** Writes per batched op frame in the batched row. */
const BATCH = 100;

/** The batched form: the same writes, `BATCH` per `batch()`, each batch shipped as one op frame. */
function convergeBatchedOps(keys: readonly string[]): OpRun {
  const a = lwwReplica(NODE_A);
  const b = lwwReplica(NODE_B);
  let bytes = 0;
  let frames = 0;
  a.onOp((op) => {
    bytes += op.length;
    frames++;
    b.applyOp(op);
  });
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < keys.length; i += BATCH) {
    a.batch(() => {
      const end = Math.min(keys.length, i + BATCH);
      for (let j = i; j < end; j++) a.set(keys[j] as string, value(j));
    });
  }
  const ms = performance.now() - start;
  checkReplica("converge (batched)", b, keys);
  if (frames !== Math.ceil(keys.length / BATCH)) throw new Error(`batched op path: ${frames} frames`);
  return { ms, ops: keys.length, bytes };
}

function yjsOps(keys: readonly string[]): OpRun {
  const a = new Y.Doc();
  a.clientID = 1;
  const b = new Y.Doc();
  b.clientID = 2;
  let bytes = 0;
  let ops = 0;
  a.on("update", (update: Uint8Array) => {
    bytes += update.length;
    ops++;
    Y.applyUpdate(b, update);
  });
  const m = a.getMap<number>("m");
  collectGarbage();
  const start = performance.now();
  // Each set outside a transaction is its own transaction, and so its own update.
  for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  const ms = performance.now() - start;
  checkReplica("Yjs", b.getMap<number>("m"), keys);
  a.destroy();
  b.destroy();
  return { ms, ops, bytes };
}

function loroOps(keys: readonly string[]): OpRun {
  const a = new LoroDoc();
  a.setPeerId(1);
  const b = new LoroDoc();
  b.setPeerId(2);
  let bytes = 0;
  let ops = 0;
  // Called synchronously by commit() with that commit's update.
  const unsubscribe = a.subscribeLocalUpdates((update) => {
    bytes += update.length;
    ops++;
    b.import(update);
  });
  const m = a.getMap("m");
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < keys.length; i++) {
    m.set(keys[i] as string, value(i));
    a.commit();
  }
  const ms = performance.now() - start;
  checkReplica("Loro", b.getMap("m"), keys);
  unsubscribe();
  a.free();
  b.free();
  return { ms, ops, bytes };
}

/** A hand-written lww replica: HLC-like stamps, one JSON message per write. */
function plainOps(keys: readonly string[]): OpRun {
  const a = new Map<string, LwwEntry>();
  const b = new Map<string, LwwEntry>();
  let bytes = 0;
  let ops = 0;
  let lastWall = 0;
  let counter = 0;
  const receive = (message: string): void => {
    bytes += message.length; // ASCII: one byte per character
    ops++;
    const [key, v, wall, c, node] = JSON.parse(message) as LwwTuple;
    const old = b.get(key);
    if (
      old === undefined ||
      wall > old.wall ||
      (wall === old.wall && (c > old.counter || (c === old.counter && node > old.node)))
    ) {
      b.set(key, { value: v, wall, counter: c, node });
    }
  };
  collectGarbage();
  const start = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const now = Date.now();
    if (now > lastWall) {
      lastWall = now;
      counter = 0;
    } else counter++;
    const key = keys[i] as string;
    const entry: LwwEntry = { value: value(i), wall: lastWall, counter, node: NODE_A };
    a.set(key, entry);
    receive(JSON.stringify([key, entry.value, entry.wall, entry.counter, entry.node]));
  }
  const ms = performance.now() - start;
  if (b.size !== keys.length) throw new Error(`plain JS op path: B has ${b.size} keys`);
  return { ms, ops, bytes };
}

interface OpImpl {
  readonly impl: string;
  readonly note: string;
  readonly run: (keys: readonly string[]) => OpRun | undefined;
  /** Why it is not run (the batched form until core gains one). */
  readonly skipped?: string;
}

const IMPLS: readonly OpImpl[] = [
  { impl: "converge", note: "onOp → applyOp, one single-write op per write", run: convergeOps },
  {
    impl: "converge (batched op frame)",
    note: "batch() of 100 writes → one op frame → applyOp",
    run: convergeBatchedOps,
  },
  { impl: "Yjs", note: "one update per transaction", run: yjsOps },
  { impl: "Loro", note: "one update per commit", run: loroOps },
  { impl: "plain JS (JSON)", note: "JSON.stringify → JSON.parse + merge", run: plainOps },
];

/** The op path: every implementation interleaved, run by run. */
export function runOpPath(config: BenchConfig, log: (msg: string) => void): OpPathResult {
  const keys = makeKeys(config.ops);
  const reps = config.reps;
  const rounds = OP_WARMUP + reps;
  const runs = new Map<string, OpRun[]>();
  const active = IMPLS.filter((i) => i.skipped === undefined);
  for (const impl of active) runs.set(impl.impl, []);
  for (let r = 0; r < rounds; r++) {
    log(`op path ${config.ops}: round ${r + 1}/${rounds}`);
    for (const impl of active) {
      const list = runs.get(impl.impl) as OpRun[];
      // A slow implementation (its cold run over the budget) runs SLOW_ROUNDS runs in all.
      const cold = list[0];
      if (cold !== undefined && cold.ms > config.slowMs && list.length >= SLOW_ROUNDS) continue;
      const run = impl.run(keys);
      if (run !== undefined) list.push(run);
    }
  }
  const results = IMPLS.map((impl): OpImplResult => {
    const list = runs.get(impl.impl);
    if (list === undefined || list.length === 0) {
      return {
        impl: impl.impl,
        status: "skipped",
        note: impl.skipped ?? "skipped",
        medianMs: null,
        samplesMs: [],
        coldMs: null,
        opsPerSec: null,
        bytesPerOp: null,
      };
    }
    const slow = list.length < rounds;
    const warmup = slow ? 1 : OP_WARMUP;
    const recorded = list.slice(warmup);
    const samplesMs = recorded.map((r) => r.ms);
    const medianMs = median(samplesMs);
    const first = list[0] as OpRun;
    return {
      impl: impl.impl,
      status: "ok",
      note: slow ? `${impl.note}; slow (cold run > BENCH_SLOW_S): cold run + 1 recorded` : impl.note,
      medianMs,
      samplesMs,
      coldMs: first.ms,
      opsPerSec: (first.ops / medianMs) * 1000,
      bytesPerOp: first.bytes / first.ops,
    };
  });
  return { ops: config.ops, reps, results };
}
