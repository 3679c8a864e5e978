/** The round's plain-JavaScript baselines: an LWW map shipped as JSON, and one handed over in memory. */
import { type LwwEntry, type LwwTuple, mergeEntries, mergeTuples, toTuples } from "../plain-lww.ts";
import { NODE_A, NODE_B } from "../replicas.ts";
import { type RoundImpl, sourceValue, targetValue, timeRound } from "./round-timing.ts";

/** A plain map written by one writer: HLC-like times, the source's later than the target's. */
function plainWritten(keys: readonly string[], value: (i: number) => number, wall: number, node: string) {
  const map = new Map<string, LwwEntry>();
  for (let i = 0; i < keys.length; i++) {
    map.set(keys[i] as string, { value: value(i), wall: wall + (i >> 16), counter: i & 0xffff, node });
  }
  return map;
}

function readPlain(map: ReadonlyMap<string, LwwEntry>, keys: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < keys.length; i++) sum += (map.get(keys[i] as string) as LwwEntry).value;
  return sum;
}

/** A plain LWW map, encoded as JSON tuples and merged entry by entry. */
export const plainJson: RoundImpl = {
  impl: "plain JS (JSON)",
  round: (keys, expected) => {
    let target = new Map<string, LwwEntry>();
    let source = new Map<string, LwwEntry>();
    let redecoded = new Map<string, LwwEntry>();
    let own = "";
    const wall = Date.now();
    return timeRound<string>("plain JS (JSON)", expected, {
      build: () => {
        target = plainWritten(keys, targetValue, wall, NODE_A);
        own = JSON.stringify(toTuples(target));
        source = plainWritten(keys, sourceValue, wall + 1000, NODE_B);
      },
      encode: () => JSON.stringify(toTuples(source)),
      bytes: (p) => Buffer.byteLength(p),
      apply: (p) => {
        mergeTuples(target, JSON.parse(p) as LwwTuple[]);
      },
      read: () => readPlain(target, keys),
      redecode: () => {
        target = new Map();
        source = new Map();
        redecoded = new Map();
        mergeTuples(redecoded, JSON.parse(own) as LwwTuple[]);
      },
      applyRedecoded: (p) => mergeTuples(redecoded, JSON.parse(p) as LwwTuple[]),
      free: () => {
        target = new Map();
        source = new Map();
        redecoded = new Map();
      },
    });
  },
};

/** A plain LWW map merged straight from the source map (no bytes). */
export const plainMemory: RoundImpl = {
  impl: "plain JS (in-memory)",
  round: (keys, expected) => {
    let target = new Map<string, LwwEntry>();
    let source = new Map<string, LwwEntry>();
    const wall = Date.now();
    return timeRound<ReadonlyMap<string, LwwEntry>>("plain JS (in-memory)", expected, {
      build: () => {
        target = plainWritten(keys, targetValue, wall, NODE_A);
        source = plainWritten(keys, sourceValue, wall + 1000, NODE_B);
      },
      // Nothing to encode: the source map itself is handed over.
      encode: () => source,
      bytes: () => null,
      apply: (p) => {
        mergeEntries(target, p);
      },
      read: () => readPlain(target, keys),
      free: () => {
        target = new Map();
        source = new Map();
      },
    });
  },
};
