import type { ReplicatedMap } from "@converge/core";
import * as Y from "yjs";
import { type BenchConfig, FULL_STATE_WARMUP, repsFor } from "../config.ts";
import { type ImplResult, timedResult } from "../impl-result.ts";
import { makeKeys } from "../keys.ts";
import { collectGarbage, interleaved, type TimedCase, type Timing, timedCase } from "../measure.ts";
import {
  exportEntries,
  type LwwEntry,
  type LwwTuple,
  mergeEntries,
  mergeTuples,
  toTuples,
} from "../plain-lww.ts";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";
import { ratio } from "../report.ts";
import { automergeFullState } from "./automerge-full-state.ts";

/** Full-state merge at one size. */
export interface FullStateResult {
  readonly keys: number;
  readonly reps: number;
  readonly results: readonly ImplResult[];
  /** Yjs time / converge time (how many times faster converge is). */
  readonly yjsOverConverge: number | null;
  /** Automerge time / converge time. */
  readonly automergeOverConverge: number | null;
  /** converge time / plain-JS (JSON) time. */
  readonly convergeOverPlainJson: number | null;
  /** converge time / plain-JS (in-memory) time. */
  readonly convergeOverPlainMemory: number | null;
  /** converge time with a subscriber reading every changed key / converge time without one. */
  readonly subscriberSlowdown: number | null;
  /**
   * converge time with a subscriber reading every change object (`event.changes`) / converge
   * time without one (absent from results measured before the row existed).
   */
  readonly changesSubscriberSlowdown?: number | null;
}

const valueA = (i: number): number => i & 1023;
const valueB = (i: number): number => (i * 7) & 1023;

function writeAll(map: ReplicatedMap, keys: readonly string[], value: (i: number) => number): void {
  for (let i = 0; i < keys.length; i++) map.set(keys[i] as string, value(i));
}

interface ConvergeInputs {
  readonly aBytes: Uint8Array;
  readonly bBytes: Uint8Array;
  readonly plainA: Map<string, LwwEntry>;
  readonly plainB: Map<string, LwwEntry>;
}

/** A and B each write every key (concurrently: neither has seen the other); B is written second. */
function convergeInputs(keys: readonly string[]): ConvergeInputs {
  const a = lwwReplica(NODE_A);
  writeAll(a, keys, valueA);
  const b = lwwReplica(NODE_B);
  writeAll(b, keys, valueB);
  return {
    aBytes: a.encodeState(),
    bBytes: b.encodeState(),
    plainA: exportEntries(a, keys),
    plainB: exportEntries(b, keys),
  };
}

/**
 * The converge row's name with a `subscribe` listener attached to the target that reads every
 * changed key (`event.keys`), as a UI does to find what to render again.
 */
export const WITH_SUBSCRIBER = "converge (with subscriber)";
/** The converge row with a listener that reads every change object (`event.changes`). */
export const WITH_CHANGES_SUBSCRIBER = "converge (subscriber reading changes)";

type Subscriber = "none" | "keys" | "changes";

/** A converge row: its case (decode + merge of B into a fresh load of A) and its result from the timing. */
interface ConvergeCase {
  readonly case: TimedCase;
  readonly result: (timing: Timing) => ImplResult;
}

function convergeCase(
  inputs: ConvergeInputs,
  expected: ReadonlyMap<string, LwwEntry>,
  subscriber: Subscriber,
): ConvergeCase {
  let events = 0;
  let changes = 0;
  const c = timedCase({
    setup: () => {
      const fresh = lwwReplica(NODE_A);
      fresh.applyState(inputs.aBytes);
      // What a synced UI does: one listener that looks at every change it is told about — each
      // changed key (to find what to render again), or each change with its value and previous.
      if (subscriber === "keys") {
        fresh.subscribe((event) => {
          events++;
          for (const key of event.keys) if (key !== "") changes++;
        });
      } else if (subscriber === "changes") {
        fresh.subscribe((event) => {
          events++;
          for (const change of event.changes) if (change.key !== "") changes++;
        });
      }
      return fresh;
    },
    run: (fresh) => fresh.applyState(inputs.bBytes),
    check: (fresh) => {
      // Same winners as the hand-written loop, for every key.
      if (fresh.size !== expected.size)
        throw new Error(`converge: ${fresh.size} keys, expected ${expected.size}`);
      for (const [key, e] of expected) {
        if (fresh.get(key) !== e.value)
          throw new Error(`converge: ${key} reads ${fresh.get(key)}, expected ${e.value}`);
      }
    },
  });
  const result = (timing: Timing): ImplResult => {
    if (subscriber === "none") return timedResult("converge", timing, inputs.bBytes.length);
    const runs = timing.samplesMs.length + timing.warmupMs.length;
    return timedResult(
      subscriber === "keys" ? WITH_SUBSCRIBER : WITH_CHANGES_SUBSCRIBER,
      timing,
      inputs.bBytes.length,
      `${events / runs} event(s), ${changes / runs} ${subscriber === "keys" ? "keys" : "changes"} per merge`,
    );
  };
  return { case: c, result };
}

function yjsDoc(clientID: number, keys: readonly string[], value: (i: number) => number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const m = doc.getMap<number>("m");
  doc.transact(() => {
    for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  });
  return doc;
}

/** The Yjs row's case (B's update applied to a fresh doc holding A's) and its payload bytes. */
function yjsCase(keys: readonly string[]): { readonly case: TimedCase; readonly bytes: number } {
  const a = yjsDoc(1, keys, valueA);
  const b = yjsDoc(2, keys, valueB);
  const updateA = Y.encodeStateAsUpdate(a);
  const updateB = Y.encodeStateAsUpdate(b);
  a.destroy();
  b.destroy();
  const c = timedCase({
    setup: () => {
      const fresh = new Y.Doc();
      fresh.clientID = 3; // not 1: Yjs would reassign an id it sees in incoming updates
      Y.applyUpdate(fresh, updateA);
      return fresh;
    },
    run: (fresh) => {
      Y.applyUpdate(fresh, updateB);
      return fresh;
    },
    check: (fresh) => {
      const size = fresh.getMap("m").size;
      if (size !== keys.length) throw new Error(`yjs: ${size} keys, expected ${keys.length}`);
      fresh.destroy();
    },
  });
  return { case: c, bytes: updateB.length };
}

function plainJsonCase(inputs: ConvergeInputs): { readonly case: TimedCase; readonly bytes: number } {
  const json = JSON.stringify(toTuples(inputs.plainB));
  const c = timedCase({
    setup: () => new Map(inputs.plainA),
    run: (target) => mergeTuples(target, JSON.parse(json) as LwwTuple[]),
  });
  return { case: c, bytes: Buffer.byteLength(json) };
}

function plainMemoryCase(inputs: ConvergeInputs): TimedCase {
  return timedCase({
    setup: () => new Map(inputs.plainA),
    run: (target) => mergeEntries(target, inputs.plainB),
  });
}

/** Decode + merge of B's full state into A, for every implementation, at `n` keys. */
export function runFullState(config: BenchConfig, n: number, log: (msg: string) => void): FullStateResult {
  const reps = repsFor(config, n);
  const keys = makeKeys(n);
  log(`full-state ${n}: building converge replicas`);
  const inputs = convergeInputs(keys);
  const expected = new Map(inputs.plainA);
  mergeEntries(expected, inputs.plainB);
  collectGarbage();
  log(`full-state ${n}: converge (without and with subscribers), Yjs and plain JS, interleaved run by run`);
  const rows = [
    convergeCase(inputs, expected, "none"),
    convergeCase(inputs, expected, "keys"),
    convergeCase(inputs, expected, "changes"),
  ];
  const yjsRow = yjsCase(keys);
  const jsonRow = plainJsonCase(inputs);
  collectGarbage();
  // Interleaved, so a change in the machine's load falls on every implementation alike (the
  // subscriber rows are ratios to the converge row).
  const timings = interleaved({ reps, warmup: FULL_STATE_WARMUP }, [
    ...rows.map((r) => r.case),
    yjsRow.case,
    jsonRow.case,
    plainMemoryCase(inputs),
  ]);
  const timing = (i: number): Timing => timings[i] as Timing;
  const [converge, subscribed, changesSubscribed] = rows.map((r, i) => r.result(timing(i))) as [
    ImplResult,
    ImplResult,
    ImplResult,
  ];
  const yjs = timedResult("Yjs", timing(3), yjsRow.bytes);
  const json = timedResult("plain JS (JSON)", timing(4), jsonRow.bytes, "JSON.parse + merge loop");
  const memory = timedResult("plain JS (in-memory, no decode)", timing(5), null, "merge loop only");
  expected.clear();
  collectGarbage();
  log(`full-state ${n}: Automerge`);
  const automerge = automergeFullState(config, keys, reps);
  collectGarbage();
  const c = converge.medianMs;
  return {
    keys: n,
    reps,
    results: [converge, subscribed, changesSubscribed, yjs, automerge, json, memory],
    yjsOverConverge: ratio(yjs.medianMs, c),
    automergeOverConverge: ratio(automerge.medianMs, c),
    convergeOverPlainJson: ratio(c, json.medianMs),
    convergeOverPlainMemory: ratio(c, memory.medianMs),
    subscriberSlowdown: ratio(subscribed.medianMs, c),
    changesSubscriberSlowdown: ratio(changesSubscribed.medianMs, c),
  };
}
