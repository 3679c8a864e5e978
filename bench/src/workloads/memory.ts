import type { ReplicatedMap } from "@converge/core";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { keyOf } from "../keys.ts";
import { canCollect, collectGarbage, keep, release } from "../measure.ts";
import { type LwwEntry, type LwwTuple, mergeTuples, toTuples } from "../plain-lww.ts";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";
import { ratio } from "../report.ts";

/** Memory held by one implementation's n-key map. */
export interface MemoryImplResult {
  readonly impl: string;
  /** "written": built by one writer's local sets; "merged": that map after a concurrent full-state merge. */
  readonly phase: "written" | "merged";
  /** heapUsed after − before, in bytes. */
  readonly heapBytes: number;
  /** arrayBuffers after − before (typed-array columns, payload buffers), in bytes. */
  readonly arrayBufferBytes: number;
  /** external after − before (includes arrayBuffers), in bytes. */
  readonly externalBytes: number;
  /** (heap + arrayBuffers) / keys. */
  readonly bytesPerKey: number;
  /** heap / keys (what the memory row counted before typed-array columns were added to it). */
  readonly heapBytesPerKey: number;
}

/** Memory held by an n-key last-writer-wins map, one writer, and after a concurrent merge. */
export interface MemoryResult {
  readonly keys: number;
  /** False without --expose-gc: the numbers are then unreliable. */
  readonly gcExposed: boolean;
  readonly results: readonly MemoryImplResult[];
  /** converge bytes/key / Yjs bytes/key (heap + arrayBuffers), as written. */
  readonly convergeOverYjs: number | null;
  /** converge bytes/key / plain-JS bytes/key, as written. */
  readonly convergeOverPlain: number | null;
  /** The same after the merge. */
  readonly mergedConvergeOverYjs: number | null;
  readonly mergedConvergeOverPlain: number | null;
}

/** Builders create their keys themselves, so the key strings count against each implementation. */
interface Builder {
  readonly impl: string;
  readonly phase: "written" | "merged";
  readonly build: (n: number) => unknown;
}

function convergeWritten(node: string, n: number, mix: number): ReplicatedMap {
  const map = lwwReplica(node);
  for (let i = 0; i < n; i++) map.set(keyOf(i), (i * mix) & 1023);
  return map;
}

function yjsWritten(clientID: number, n: number, mix: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const m = doc.getMap<number>("m");
  doc.transact(() => {
    for (let i = 0; i < n; i++) m.set(keyOf(i), (i * mix) & 1023);
  });
  return doc;
}

function plainWritten(node: string, n: number, mix: number, wall: number): Map<string, LwwEntry> {
  const map = new Map<string, LwwEntry>();
  for (let i = 0; i < n; i++) {
    map.set(keyOf(i), { value: (i * mix) & 1023, wall: wall + (i >> 16), counter: i & 0xffff, node });
  }
  return map;
}

/**
 * The "merged" builders write the map, then merge a concurrent writer's full state into it (every
 * key changes); the other writer and the payload are garbage by the time the memory is read.
 */
const builders: readonly Builder[] = [
  { impl: "converge", phase: "written", build: (n) => convergeWritten(NODE_A, n, 1) },
  { impl: "Yjs", phase: "written", build: (n) => yjsWritten(1, n, 1) },
  { impl: "plain JS Map", phase: "written", build: (n) => plainWritten(NODE_A, n, 1, Date.now()) },
  {
    impl: "converge",
    phase: "merged",
    build: (n) => {
      const map = convergeWritten(NODE_A, n, 1);
      map.applyState(convergeWritten(NODE_B, n, 7).encodeState());
      return map;
    },
  },
  {
    impl: "Yjs",
    phase: "merged",
    build: (n) => {
      const doc = yjsWritten(1, n, 1);
      const other = yjsWritten(2, n, 7);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
      other.destroy();
      return doc;
    },
  },
  {
    impl: "plain JS Map",
    phase: "merged",
    build: (n) => {
      const wall = Date.now();
      const map = plainWritten(NODE_A, n, 1, wall);
      mergeTuples(
        map,
        JSON.parse(JSON.stringify(toTuples(plainWritten(NODE_B, n, 7, wall + 1000)))) as LwwTuple[],
      );
      return map;
    },
  },
];

/**
 * Full collections in separate macrotasks: within one synchronous job V8 may still hold objects
 * of an earlier build (seen as a later measurement shrinking by the earlier map's size).
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Heap held by what `build(n)` returns. A function of its own, so nothing built here stays
 * referenced from the caller's frame once it returns.
 */
async function heldBy(
  build: (n: number) => unknown,
  n: number,
): Promise<{ heapBytes: number; arrayBufferBytes: number; externalBytes: number }> {
  await settle();
  const before = process.memoryUsage();
  const built = build(n);
  await settle();
  const after = process.memoryUsage();
  keep(built); // a use after the reading: `built` stays live through the collections
  release();
  return {
    heapBytes: after.heapUsed - before.heapUsed,
    arrayBufferBytes: after.arrayBuffers - before.arrayBuffers,
    externalBytes: after.external - before.external,
  };
}

/** Builds each map in isolation (collecting garbage before and after) and reports the heap it holds. */
export async function runMemory(config: BenchConfig, log: (msg: string) => void): Promise<MemoryResult> {
  const n = config.memorySize;
  const results: MemoryImplResult[] = [];
  release();
  for (const { impl, phase, build } of builders) {
    log(`memory ${n}: ${impl} (${phase})`);
    const { heapBytes, arrayBufferBytes, externalBytes } = await heldBy(build, n);
    results.push({
      impl,
      phase,
      heapBytes,
      arrayBufferBytes,
      externalBytes,
      bytesPerKey: (heapBytes + arrayBufferBytes) / n,
      heapBytesPerKey: heapBytes / n,
    });
  }
  await settle();
  const perKey = (impl: string, phase: "written" | "merged"): number | undefined =>
    results.find((r) => r.impl === impl && r.phase === phase)?.bytesPerKey;
  return {
    keys: n,
    gcExposed: canCollect(),
    results,
    convergeOverYjs: ratio(perKey("converge", "written"), perKey("Yjs", "written")),
    convergeOverPlain: ratio(perKey("converge", "written"), perKey("plain JS Map", "written")),
    mergedConvergeOverYjs: ratio(perKey("converge", "merged"), perKey("Yjs", "merged")),
    mergedConvergeOverPlain: ratio(perKey("converge", "merged"), perKey("plain JS Map", "merged")),
  };
}
