import * as Automerge from "@automerge/automerge";
import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { makeKeys } from "../keys.ts";
import { collectGarbage, keep, median, release } from "../measure.ts";
import { type LwwEntry, type LwwTuple, mergeEntries, mergeTuples, toTuples } from "../plain-lww.ts";
import { lwwReplica, NODE_A, NODE_B } from "../replicas.ts";
import { fmtCount } from "../report.ts";

/**
 * The whole round a user pays: encode on the source replica, apply that payload into a target
 * replica that was built by its own local writes (decode + merge), then read every key. Each
 * implementation runs one round in turn (interleaved), round after round, in one process. The
 * first round is the cold one; the recorded rounds follow {@link ROUND_WARMUP} warm-up rounds.
 */

/** Rounds run before the recorded ones (the first of them is the cold round). */
export const ROUND_WARMUP = 2;

/** One round of one implementation, in milliseconds; null where the phase does not exist. */
export interface RoundSample {
  /** Encoding the source's full state (null: the in-memory loop ships no bytes). */
  readonly encodeMs: number | null;
  /** Decode + merge into the target built by local writes. */
  readonly applyMs: number;
  /** Reading every key of the merged target. */
  readonly readMs: number;
  /** encode + apply + read, timed as one stretch. */
  readonly roundMs: number;
  /** Decode + merge of the same payload into a target re-decoded from its own state (null: n/a). */
  readonly applyRedecodedMs: number | null;
  readonly payloadBytes: number | null;
}

/** One implementation's rounds. */
export interface RoundImplResult {
  readonly impl: string;
  readonly status: "ok" | "skipped";
  readonly note: string;
  /** The first round in the process at this size (at the first size: the first ever). */
  readonly cold: RoundSample | null;
  /** Medians over the recorded rounds. */
  readonly warm: RoundSample | null;
  readonly samples: readonly RoundSample[];
}

/** The whole round at one size. */
export interface RoundResult {
  readonly keys: number;
  readonly reps: number;
  readonly warmup: number;
  /** True when this size ran first in the process (its cold rounds are truly cold). */
  readonly firstInProcess: boolean;
  readonly results: readonly RoundImplResult[];
}

/** The target's own values (written first) and the source's (written later, so they win). */
const targetValue = (i: number): number => (i * 7) & 1023;
const sourceValue = (i: number): number => (i & 1023) + 1;

/** Sum of every key's value after the merge: the source's values win everywhere. */
function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += sourceValue(i);
  return s;
}

/**
 * One implementation's round: `prepare` builds both replicas (untimed), `run` times the phases.
 * The source wins every key: it writes after the target (converge's HLC, the plain loops' wall
 * times) or has the larger id where the peer breaks ties by id (Yjs, Loro, Automerge).
 */
interface RoundImpl {
  readonly impl: string;
  /** Runs one round; throws when the merged target does not read the source's values. */
  readonly round: (keys: readonly string[], expected: number) => RoundSample;
}

/** Times `f`, returning its result and the milliseconds. */
function clock<T>(f: () => T): [T, number] {
  const start = performance.now();
  const result = f();
  return [result, performance.now() - start];
}

function checkSum(impl: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${impl}: read sum ${got} after the merge, expected ${expected}`);
}

/**
 * Times encode → apply → read on a fresh pair, then apply into a re-decoded copy of the target.
 * The caller's callbacks own the implementation-specific work; every setup step is untimed and
 * followed by a full collection, so a round does not pay for the previous one's garbage.
 */
function timeRound<P>(
  impl: string,
  expected: number,
  steps: {
    readonly build: () => void;
    readonly encode: () => P;
    readonly bytes: (payload: P) => number | null;
    readonly apply: (payload: P) => void;
    readonly read: () => number;
    /** Drops the local-writes pair and builds a target re-decoded from the target's state. */
    readonly redecode?: () => void;
    readonly applyRedecoded?: (payload: P) => number;
    readonly checkRedecoded?: (result: number) => void;
    readonly free: () => void;
  },
): RoundSample {
  steps.build();
  collectGarbage();
  const start = performance.now();
  const [payload, encodeMs] = clock(steps.encode);
  const t1 = performance.now();
  steps.apply(payload);
  const t2 = performance.now();
  const sum = steps.read();
  const end = performance.now();
  checkSum(impl, sum, expected);
  let applyRedecodedMs: number | null = null;
  if (steps.redecode !== undefined && steps.applyRedecoded !== undefined) {
    steps.redecode();
    collectGarbage();
    const [result, ms] = clock(() => steps.applyRedecoded?.(payload) ?? 0);
    steps.checkRedecoded?.(result);
    applyRedecodedMs = ms;
  }
  const payloadBytes = steps.bytes(payload);
  keep(payload);
  steps.free();
  release();
  return {
    // A loop that ships no bytes has no encode phase (its "encode" only hands the object over).
    encodeMs: payloadBytes === null ? null : encodeMs,
    applyMs: t2 - t1,
    readMs: end - t2,
    roundMs: end - start,
    applyRedecodedMs,
    payloadBytes,
  };
}

function readConverge(map: { get: (key: string) => unknown }, keys: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < keys.length; i++) sum += map.get(keys[i] as string) as number;
  return sum;
}

const converge: RoundImpl = {
  impl: "converge",
  round: (keys, expected) => {
    let target = lwwReplica(NODE_A);
    let source = lwwReplica(NODE_B);
    let redecoded = lwwReplica(NODE_A);
    let own: Uint8Array = new Uint8Array(0);
    return timeRound<Uint8Array>("converge", expected, {
      build: () => {
        for (let i = 0; i < keys.length; i++) target.set(keys[i] as string, targetValue(i));
        // The target's state before the merge, for the re-decoded variant (encoded before the
        // source writes, so the source's later times still win every key there too).
        own = target.encodeState();
        for (let i = 0; i < keys.length; i++) source.set(keys[i] as string, sourceValue(i));
      },
      encode: () => source.encodeState(),
      bytes: (p) => p.length,
      apply: (p) => {
        target.applyState(p);
      },
      read: () => readConverge(target, keys),
      redecode: () => {
        target = lwwReplica(NODE_A);
        source = lwwReplica(NODE_B);
        redecoded.applyState(own);
      },
      applyRedecoded: (p) => redecoded.applyState(p).changed,
      checkRedecoded: (changed) => {
        if (changed !== keys.length) throw new Error(`converge: re-decoded merge changed ${changed} keys`);
      },
      free: () => {
        target = lwwReplica(NODE_A);
        source = lwwReplica(NODE_B);
        redecoded = lwwReplica(NODE_A);
        own = new Uint8Array(0);
      },
    });
  },
};

function yjsWritten(clientID: number, keys: readonly string[], value: (i: number) => number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const m = doc.getMap<number>("m");
  doc.transact(() => {
    for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  });
  return doc;
}

const yjs: RoundImpl = {
  impl: "Yjs",
  round: (keys, expected) => {
    let target: Y.Doc | undefined;
    let source: Y.Doc | undefined;
    let redecoded: Y.Doc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const destroy = (): void => {
      target?.destroy();
      source?.destroy();
      redecoded?.destroy();
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Yjs", expected, {
      build: () => {
        // Concurrent map writes: Yjs keeps the one of the larger client id, so the source is 2.
        target = yjsWritten(1, keys, targetValue);
        own = Y.encodeStateAsUpdate(target);
        source = yjsWritten(2, keys, sourceValue);
      },
      encode: () => Y.encodeStateAsUpdate(source as Y.Doc),
      bytes: (p) => p.length,
      apply: (p) => Y.applyUpdate(target as Y.Doc, p),
      read: () => readConverge((target as Y.Doc).getMap<number>("m"), keys),
      redecode: () => {
        destroy();
        redecoded = new Y.Doc();
        redecoded.clientID = 3;
        Y.applyUpdate(redecoded, own);
      },
      applyRedecoded: (p) => {
        Y.applyUpdate(redecoded as Y.Doc, p);
        return 0;
      },
      free: destroy,
    });
  },
};

function loroWritten(peer: number, keys: readonly string[], value: (i: number) => number): LoroDoc {
  const doc = new LoroDoc();
  doc.setPeerId(peer);
  const m = doc.getMap("m");
  for (let i = 0; i < keys.length; i++) m.set(keys[i] as string, value(i));
  doc.commit();
  return doc;
}

const loro: RoundImpl = {
  impl: "Loro",
  round: (keys, expected) => {
    let target: LoroDoc | undefined;
    let source: LoroDoc | undefined;
    let redecoded: LoroDoc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const free = (): void => {
      target?.free();
      source?.free();
      redecoded?.free();
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Loro", expected, {
      build: () => {
        // Equal Lamport times on every key: the larger peer id wins, so the source is peer 2.
        target = loroWritten(1, keys, targetValue);
        own = target.export({ mode: "snapshot" });
        source = loroWritten(2, keys, sourceValue);
      },
      encode: () => (source as LoroDoc).export({ mode: "snapshot" }),
      bytes: (p) => p.length,
      apply: (p) => {
        (target as LoroDoc).import(p);
      },
      read: () => {
        const m = (target as LoroDoc).getMap("m");
        return readConverge(m, keys);
      },
      redecode: () => {
        free();
        redecoded = LoroDoc.fromSnapshot(own);
      },
      applyRedecoded: (p) => {
        (redecoded as LoroDoc).import(p);
        return 0;
      },
      free,
    });
  },
};

type AmDoc = Automerge.Doc<Record<string, number>>;
const AM_TARGET = "0a".repeat(16);
const AM_SOURCE = "0b".repeat(16);

function automergeWritten(actor: string, keys: readonly string[], value: (i: number) => number): AmDoc {
  return Automerge.change(Automerge.init<Record<string, number>>({ actor }), (d) => {
    for (let i = 0; i < keys.length; i++) d[keys[i] as string] = value(i);
  });
}

const automerge: RoundImpl = {
  impl: "Automerge",
  round: (keys, expected) => {
    // Every document is freed at the end of its round: keeping merged documents alive inflated
    // Automerge's later rounds 1.7–3.4× (its wasm heap grows and stays fragmented).
    // `loadIncremental` hands the document's wasm handle on to the document it returns, so each
    // variable holds the latest document of its line and only those are freed.
    let target: AmDoc | undefined;
    let source: AmDoc | undefined;
    let redecoded: AmDoc | undefined;
    let own: Uint8Array = new Uint8Array(0);
    const free = (): void => {
      for (const d of [target, source, redecoded]) if (d !== undefined) Automerge.free(d);
      target = source = redecoded = undefined;
    };
    return timeRound<Uint8Array>("Automerge", expected, {
      build: () => {
        // Equal counters on every key: the larger actor id wins, so the source is 0b….
        target = automergeWritten(AM_TARGET, keys, targetValue);
        own = Automerge.save(target);
        source = automergeWritten(AM_SOURCE, keys, sourceValue);
      },
      encode: () => Automerge.save(source as AmDoc),
      bytes: (p) => p.length,
      apply: (p) => {
        target = Automerge.loadIncremental(target as AmDoc, p);
      },
      read: () => {
        const doc = target as AmDoc;
        let sum = 0;
        for (let i = 0; i < keys.length; i++) sum += doc[keys[i] as string] as number;
        return sum;
      },
      redecode: () => {
        free();
        redecoded = Automerge.load<Record<string, number>>(own);
      },
      applyRedecoded: (p) => {
        redecoded = Automerge.loadIncremental(redecoded as AmDoc, p);
        return 0;
      },
      free,
    });
  },
};

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

const plainJson: RoundImpl = {
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

const plainMemory: RoundImpl = {
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

/** Medians of the recorded samples, phase by phase. */
function medianSample(samples: readonly RoundSample[]): RoundSample | null {
  if (samples.length === 0) return null;
  const med = (f: (s: RoundSample) => number | null): number | null => {
    const values = samples.map(f).filter((v): v is number => v !== null);
    return values.length === 0 ? null : median(values);
  };
  return {
    encodeMs: med((s) => s.encodeMs),
    applyMs: med((s) => s.applyMs) ?? Number.NaN,
    readMs: med((s) => s.readMs) ?? Number.NaN,
    roundMs: med((s) => s.roundMs) ?? Number.NaN,
    applyRedecodedMs: med((s) => s.applyRedecodedMs),
    payloadBytes: samples[0]?.payloadBytes ?? null,
  };
}

const PILOT_KEYS = 10_000;

/** Why Automerge is skipped at `n` keys, or undefined to run it (a pilot round is extrapolated). */
function automergeSkip(config: BenchConfig, n: number, rounds: number): string | undefined {
  if (n > config.automergeMaxKeys)
    return `skipped (above BENCH_AUTOMERGE_MAX_KEYS=${config.automergeMaxKeys})`;
  if (n <= PILOT_KEYS) return undefined;
  const pilotKeys = makeKeys(PILOT_KEYS);
  const start = performance.now();
  automerge.round(pilotKeys, expectedSum(PILOT_KEYS));
  const estimate = ((performance.now() - start) / PILOT_KEYS) * n * rounds;
  if (estimate <= config.automergeBudgetMs) return undefined;
  return `skipped (too slow: ~${Math.round(estimate / 1000)} s estimated for ${rounds} rounds from ${fmtCount(PILOT_KEYS)} keys > ${config.automergeBudgetMs / 1000} s budget)`;
}

/** The whole round at `n` keys, every implementation interleaved round by round. */
export function runRound(
  config: BenchConfig,
  n: number,
  firstInProcess: boolean,
  log: (msg: string) => void,
): RoundResult {
  const reps = n >= 1_000_000 ? Math.min(config.reps, config.repsLarge) : config.reps;
  const rounds = ROUND_WARMUP + reps;
  const keys = makeKeys(n);
  const expected = expectedSum(n);
  const impls: RoundImpl[] = [converge, yjs, loro, plainJson, plainMemory];
  const skipped = new Map<string, string>();
  log(`round ${n}: Automerge pilot`);
  const amSkip = automergeSkip(config, n, rounds);
  if (amSkip === undefined) impls.splice(3, 0, automerge);
  else skipped.set("Automerge", amSkip);
  collectGarbage();
  const samples = new Map<string, RoundSample[]>(impls.map((i) => [i.impl, []]));
  for (let r = 0; r < rounds; r++) {
    log(`round ${n}: round ${r + 1}/${rounds}`);
    for (const impl of impls) samples.get(impl.impl)?.push(impl.round(keys, expected));
  }
  const order = ["converge", "Yjs", "Loro", "Automerge", "plain JS (JSON)", "plain JS (in-memory)"];
  const results: RoundImplResult[] = order.map((name) => {
    const s = samples.get(name);
    if (s === undefined) {
      return {
        impl: name,
        status: "skipped",
        note: skipped.get(name) ?? "skipped",
        cold: null,
        warm: null,
        samples: [],
      };
    }
    const recorded = s.slice(ROUND_WARMUP);
    return {
      impl: name,
      status: "ok",
      note: name === "plain JS (in-memory)" ? "no encode: the source map is handed over" : "",
      cold: s[0] ?? null,
      warm: medianSample(recorded),
      samples: recorded,
    };
  });
  return { keys: n, reps, warmup: ROUND_WARMUP, firstInProcess, results };
}
