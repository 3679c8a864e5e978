import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { keyOf } from "../keys.ts";
import { canCollect, collectGarbage, keep, release } from "../measure.ts";
import type { LwwEntry } from "../plain-lww.ts";
import { lwwReplica, NODE_A } from "../replicas.ts";
import { ratio } from "../report.ts";

/** Heap held by one implementation's n-key map. */
export interface MemoryImplResult {
  readonly impl: string;
  /** heapUsed after − before, in bytes. */
  readonly heapBytes: number;
  /** external (ArrayBuffers, wasm) after − before, in bytes. */
  readonly externalBytes: number;
  readonly bytesPerKey: number;
}

/** Memory held by an n-key last-writer-wins map written by one replica. */
export interface MemoryResult {
  readonly keys: number;
  /** False without --expose-gc: the numbers are then unreliable. */
  readonly gcExposed: boolean;
  readonly results: readonly MemoryImplResult[];
  /** converge bytes/key / Yjs bytes/key. */
  readonly convergeOverYjs: number | null;
  /** converge bytes/key / plain-JS bytes/key. */
  readonly convergeOverPlain: number | null;
}

/** Builders create their keys themselves, so the key strings count against each implementation. */
const builders: readonly { readonly impl: string; readonly build: (n: number) => unknown }[] = [
  {
    impl: "converge",
    build: (n) => {
      const map = lwwReplica(NODE_A);
      for (let i = 0; i < n; i++) map.set(keyOf(i), i & 1023);
      return map;
    },
  },
  {
    impl: "Yjs",
    build: (n) => {
      const doc = new Y.Doc();
      doc.clientID = 1;
      const m = doc.getMap<number>("m");
      doc.transact(() => {
        for (let i = 0; i < n; i++) m.set(keyOf(i), i & 1023);
      });
      return doc;
    },
  },
  {
    impl: "plain JS Map",
    build: (n) => {
      const map = new Map<string, LwwEntry>();
      const wall = Date.now();
      for (let i = 0; i < n; i++) {
        map.set(keyOf(i), { value: i & 1023, wall: wall + (i >> 16), counter: i & 0xffff, node: NODE_A });
      }
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
): Promise<{ heapBytes: number; externalBytes: number }> {
  await settle();
  const before = process.memoryUsage();
  const built = build(n);
  await settle();
  const after = process.memoryUsage();
  keep(built); // a use after the reading: `built` stays live through the collections
  release();
  return { heapBytes: after.heapUsed - before.heapUsed, externalBytes: after.external - before.external };
}

/** Builds each map in isolation (collecting garbage before and after) and reports the heap it holds. */
export async function runMemory(config: BenchConfig, log: (msg: string) => void): Promise<MemoryResult> {
  const n = config.memorySize;
  const results: MemoryImplResult[] = [];
  release();
  for (const { impl, build } of builders) {
    log(`memory ${n}: ${impl}`);
    const { heapBytes, externalBytes } = await heldBy(build, n);
    results.push({ impl, heapBytes, externalBytes, bytesPerKey: heapBytes / n });
  }
  await settle();
  const perKey = (impl: string): number | undefined => results.find((r) => r.impl === impl)?.bytesPerKey;
  return {
    keys: n,
    gcExposed: canCollect(),
    results,
    convergeOverYjs: ratio(perKey("converge"), perKey("Yjs")),
    convergeOverPlain: ratio(perKey("converge"), perKey("plain JS Map")),
  };
}
