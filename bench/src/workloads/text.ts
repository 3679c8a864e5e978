import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { clientIdOf, editText, yjsText } from "@converge/yjs";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { FULL_STATE_WARMUP } from "../config.ts";
import { type Case, interleaved, keep, type TimedCase, type Timing, timedCase } from "../measure.ts";
import { NODE_A, NODE_B } from "../replicas.ts";
import { fmtBytes, fmtMs, fmtRatio, ratio, renderTable } from "../report.ts";

/** One implementation's full-state merge of the text workload, both ways. */
export interface TextImplResult {
  readonly impl: "converge" | "Yjs" | "Yjs (one Y.Doc per key)";
  /** A merges B's full state and B merges A's (decode + merge, both replicas), median. */
  readonly mergeMs: number;
  /** The same, then both replicas read every text, median. */
  readonly mergeReadMs: number;
  /** Every recorded sample of `mergeMs` and `mergeReadMs`. */
  readonly mergeSamplesMs: readonly number[];
  readonly mergeReadSamplesMs: readonly number[];
  /** Bytes of A's full state (what B receives), and of A's state after the merge. */
  readonly stateBytes: number;
  readonly mergedBytes: number;
  /**
   * After the last run: both replicas read, for every key, the text the edits made (the 1 KB
   * text with A's insert and B's append), and hold equal states (converge: byte-identical
   * encoded states; Yjs: equal state vectors and texts).
   */
  readonly converged: boolean;
}

/** `keys` texts of about 1 KB, each edited concurrently on two replicas, merged by full state. */
export interface TextResult {
  readonly keys: number;
  readonly textBytes: number;
  readonly reps: number;
  readonly warmup: number;
  readonly impls: readonly TextImplResult[];
  /** Every key reads the same text in converge and in Yjs after the merge. */
  readonly sameTexts: boolean;
}

const PHRASE = "Crisp, sweet and grown in Kent; ";

function textOf(i: number): string {
  return `#${i} ${PHRASE.repeat(32)}`.slice(0, 1024);
}

/** Replica A's and B's edits of key i: an insert near the start, an append. */
const editA = (t: Y.Text, i: number): void => t.insert(3 + (i % 7), "A");
const editB = (t: Y.Text, _i: number): void => t.insert(t.length, "B");

/** What key i must read once both edits are merged: the oracle of the edits made. */
function expectedText(i: number): string {
  const base = textOf(i);
  const at = 3 + (i % 7);
  return `${base.slice(0, at)}A${base.slice(at)}B`;
}

const sameBytes = (x: Uint8Array, y: Uint8Array): boolean =>
  x.length === y.length && x.every((v, k) => v === y[k]);

function convergeReplicas(keys: number): [ReplicatedMap, ReplicatedMap] {
  const rules = { default: lww(), keys: { "desc:*": yjsText() } };
  const a = createReplicatedMap({ resolvers: rules, clockOptions: { node: NODE_A } });
  for (let i = 0; i < keys; i++) editText(a, `desc:${i}`, (t) => t.insert(0, textOf(i)));
  const b = createReplicatedMap({ resolvers: rules, clockOptions: { node: NODE_B }, state: a.encodeState() });
  for (let i = 0; i < keys; i++) {
    editText(a, `desc:${i}`, (t) => editA(t, i));
    editText(b, `desc:${i}`, (t) => editB(t, i));
  }
  return [a, b];
}

function yjsDocs(keys: number): [Y.Doc, Y.Doc] {
  // The same client ids as the converge replicas, so both order concurrent inserts alike.
  const a = new Y.Doc();
  a.clientID = clientIdOf(NODE_A);
  const texts = a.getMap<Y.Text>("texts");
  a.transact(() => {
    for (let i = 0; i < keys; i++) texts.set(`desc:${i}`, new Y.Text(textOf(i)));
  });
  const b = new Y.Doc();
  b.clientID = clientIdOf(NODE_B);
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  for (const [doc, edit] of [
    [a, editA],
    [b, editB],
  ] as const) {
    const m = doc.getMap<Y.Text>("texts");
    for (let i = 0; i < keys; i++) doc.transact(() => edit(m.get(`desc:${i}`) as Y.Text, i));
  }
  return [a, b];
}

/** Yjs with one document per key, as converge keeps one per text key: each key's two replicas. */
function yjsDocsPerKey(keys: number): [Y.Doc[], Y.Doc[]] {
  const as: Y.Doc[] = [];
  const bs: Y.Doc[] = [];
  for (let i = 0; i < keys; i++) {
    const a = new Y.Doc();
    a.clientID = clientIdOf(NODE_A);
    a.getText("t").insert(0, textOf(i));
    const b = new Y.Doc();
    b.clientID = clientIdOf(NODE_B);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    editA(a.getText("t"), i);
    editB(b.getText("t"), i);
    as.push(a);
    bs.push(b);
  }
  return [as, bs];
}

/** One row's cases (merge; merge + read) and its result once they ran. */
interface Row {
  readonly cases: readonly [TimedCase, TimedCase];
  readonly result: (merge: Timing, mergeRead: Timing) => TextImplResult;
}

/** The per-key Yjs row: both replicas merge every key's other document, then read. */
function yjsPerKeyRow(keys: number): Row {
  const [as, bs] = yjsDocsPerKey(keys);
  const states = [as.map((d) => Y.encodeStateAsUpdate(d)), bs.map((d) => Y.encodeStateAsUpdate(d))] as const;
  const pair = (): [Y.Doc[], Y.Doc[]] => {
    const [a, b] = states.map((us) =>
      us.map((u) => {
        const d = new Y.Doc();
        Y.applyUpdate(d, u);
        d.getText("t").toString();
        return d;
      }),
    );
    return [a as Y.Doc[], b as Y.Doc[]];
  };
  const mergeBoth = ([a, b]: [Y.Doc[], Y.Doc[]]): void => {
    for (let i = 0; i < keys; i++) {
      Y.applyUpdate(a[i] as Y.Doc, states[1][i] as Uint8Array);
      Y.applyUpdate(b[i] as Y.Doc, states[0][i] as Uint8Array);
    }
  };
  const readAll = (ds: Y.Doc[]): number => ds.reduce((n, d) => n + d.getText("t").toString().length, 0);
  let converged = false;
  let merged = 0;
  const check = ([a, b]: [Y.Doc[], Y.Doc[]]): void => {
    converged = true;
    merged = 0;
    for (let i = 0; i < keys && converged; i++) {
      const x = a[i] as Y.Doc;
      const y = b[i] as Y.Doc;
      merged += Y.encodeStateAsUpdate(x).length;
      const want = expectedText(i);
      converged =
        sameBytes(Y.encodeStateVector(x), Y.encodeStateVector(y)) &&
        x.getText("t").toString() === want &&
        y.getText("t").toString() === want;
    }
  };
  return rowOf(
    "Yjs (one Y.Doc per key)",
    pair,
    mergeBoth,
    (p) => readAll(p[0]) + readAll(p[1]),
    check,
    () => ({
      stateBytes: states[0].reduce((n, u) => n + u.length, 0),
      mergedBytes: merged,
      converged,
    }),
  );
}

/** A row from its setup, merge, read and check; `sizes` reports bytes and convergence after the runs. */
function rowOf<S>(
  impl: TextImplResult["impl"],
  setup: () => S,
  mergeBoth: (input: S) => void,
  readBoth: (input: S) => number,
  check: (input: S) => void,
  sizes: () => Pick<TextImplResult, "stateBytes" | "mergedBytes" | "converged">,
): Row {
  const merge: Case<S> = { setup, run: mergeBoth, check };
  const mergeRead: Case<S> = {
    setup,
    run: (input) => {
      mergeBoth(input);
      return readBoth(input);
    },
    check,
  };
  return {
    cases: [timedCase(merge), timedCase(mergeRead)],
    result: (m, mr) => ({
      impl,
      mergeMs: m.medianMs,
      mergeReadMs: mr.medianMs,
      mergeSamplesMs: m.samplesMs,
      mergeReadSamplesMs: mr.samplesMs,
      ...sizes(),
    }),
  };
}

/**
 * Text keys: `BENCH_TEXT_KEYS` (default 1,000) texts of 1 KB, each edited concurrently on two
 * replicas A and B; then A merges B's full state and B merges A's (decode + merge; then both read
 * every text). Yjs does the same work: the same edits in one Y.Doc per replica holding a Y.Map of
 * Y.Text, `encodeStateAsUpdate` / `applyUpdate` both ways. Both sides start each run from replicas
 * decoded from their own states, with every text read once (live documents), and both are checked
 * against the edits made after the last run. A third row runs Yjs with one document per key (the
 * shape converge's per-key rule has): a Yjs transaction per changed key, where Yjs's own layout
 * shares one transaction among all keys. The six measurements (three rows, merge and merge + read)
 * run interleaved, one run each per round, so load on a shared machine falls on all of them alike.
 */
export function runText(config: BenchConfig, log: (msg: string) => void): TextResult {
  const keys = Number(process.env["BENCH_TEXT_KEYS"] ?? 1000);
  const reps = config.reps;
  log(`text: ${keys} keys of 1 KB, concurrent edits on two replicas, merged both ways`);
  const opts = { reps, warmup: FULL_STATE_WARMUP };

  const [ca, cb] = convergeReplicas(keys);
  const cStates = [ca.encodeState(), cb.encodeState()] as const;
  const rules = { default: lww(), keys: { "desc:*": yjsText() } };
  const readAll = (m: ReplicatedMap): number => {
    let n = 0;
    for (let i = 0; i < keys; i++) n += (m.get<string>(`desc:${i}`) ?? "").length;
    return n;
  };
  const cPair = (): [ReplicatedMap, ReplicatedMap] => {
    const open = (node: string, state: Uint8Array): ReplicatedMap => {
      const m = createReplicatedMap({ resolvers: rules, clockOptions: { node }, state });
      readAll(m);
      return m;
    };
    return [open(NODE_A, cStates[0]), open(NODE_B, cStates[1])];
  };
  const cMergeBoth = ([a, b]: [ReplicatedMap, ReplicatedMap]): void => {
    a.applyState(cStates[1]);
    b.applyState(cStates[0]);
  };
  let cConverged = false;
  let cMerged = 0;
  const cCheck = ([a, b]: [ReplicatedMap, ReplicatedMap]): void => {
    const sa = a.encodeState();
    cMerged = sa.length;
    cConverged = sameBytes(sa, b.encodeState());
    for (let i = 0; i < keys && cConverged; i++) {
      const want = expectedText(i);
      cConverged = a.get(`desc:${i}`) === want && b.get(`desc:${i}`) === want;
    }
  };
  const cRow = rowOf(
    "converge",
    cPair,
    cMergeBoth,
    (p) => readAll(p[0]) + readAll(p[1]),
    cCheck,
    () => ({
      stateBytes: cStates[0].length,
      mergedBytes: cMerged,
      converged: cConverged,
    }),
  );

  const [ya, yb] = yjsDocs(keys);
  const yStates = [Y.encodeStateAsUpdate(ya), Y.encodeStateAsUpdate(yb)] as const;
  const yTexts = (d: Y.Doc): Y.Map<Y.Text> => d.getMap<Y.Text>("texts");
  const yReadAll = (d: Y.Doc): number => {
    const m = yTexts(d);
    let n = 0;
    for (let i = 0; i < keys; i++) n += (m.get(`desc:${i}`) as Y.Text).toString().length;
    return n;
  };
  const yPair = (): [Y.Doc, Y.Doc] => {
    const [a, b] = yStates.map((u) => {
      const d = new Y.Doc();
      Y.applyUpdate(d, u);
      yReadAll(d);
      return d;
    });
    return [a as Y.Doc, b as Y.Doc];
  };
  const yMergeBoth = ([a, b]: [Y.Doc, Y.Doc]): void => {
    Y.applyUpdate(a, yStates[1]);
    Y.applyUpdate(b, yStates[0]);
  };
  let yConverged = false;
  let yMerged = 0;
  const yCheck = ([a, b]: [Y.Doc, Y.Doc]): void => {
    yMerged = Y.encodeStateAsUpdate(a).length;
    yConverged = sameBytes(Y.encodeStateVector(a), Y.encodeStateVector(b));
    for (let i = 0; i < keys && yConverged; i++) {
      const want = expectedText(i);
      yConverged =
        yTexts(a).get(`desc:${i}`)?.toString() === want && yTexts(b).get(`desc:${i}`)?.toString() === want;
    }
  };
  const yRow = rowOf(
    "Yjs",
    yPair,
    yMergeBoth,
    (p) => yReadAll(p[0]) + yReadAll(p[1]),
    yCheck,
    () => ({
      stateBytes: yStates[0].length,
      mergedBytes: yMerged,
      converged: yConverged,
    }),
  );
  const rows = [cRow, yRow, yjsPerKeyRow(keys)];
  const timings = interleaved(
    opts,
    rows.flatMap((r) => r.cases),
  );

  // Same convergence: after the merge, every key reads alike in converge and in Yjs.
  const [cm] = cPair();
  cm.applyState(cStates[1]);
  const [yd] = yPair();
  Y.applyUpdate(yd, yStates[1]);
  let sameTexts = true;
  for (let i = 0; i < keys && sameTexts; i++) {
    sameTexts = cm.get<string>(`desc:${i}`) === yTexts(yd).get(`desc:${i}`)?.toString();
  }
  keep(cm);
  keep(yd);
  return {
    keys,
    textBytes: 1024,
    reps,
    warmup: FULL_STATE_WARMUP,
    impls: rows.map((r, i) => r.result(timings[2 * i] as Timing, timings[2 * i + 1] as Timing)),
    sameTexts,
  };
}

/** The text workload's table. */
export function renderText(r: TextResult): string {
  const base = r.impls[0];
  const rows = r.impls.map((x) => [
    x.impl,
    fmtMs(x.mergeMs),
    fmtRatio(ratio(x.mergeMs, base?.mergeMs)),
    fmtMs(x.mergeReadMs),
    fmtRatio(ratio(x.mergeReadMs, base?.mergeReadMs)),
    fmtBytes(x.stateBytes),
    fmtBytes(x.mergedBytes),
    x.converged ? "yes" : "NO",
  ]);
  return `${renderTable(
    `7. Text keys: ${r.keys} texts of ${r.textBytes} B, each edited concurrently on two replicas; A merges B's full state and B merges A's (decode + merge); implementations interleaved run by run, median of ${r.reps} after ${r.warmup} warm-up rounds`,
    [
      { header: "implementation" },
      { header: "merge (both)", align: "right" },
      { header: "/ converge", align: "right" },
      { header: "merge + read all", align: "right" },
      { header: "/ converge", align: "right" },
      { header: "state sent", align: "right" },
      { header: "merged state", align: "right" },
      { header: "converged", align: "right" },
    ],
    rows,
  )}\n   converge's merge runs no Yjs transaction, and a plain text's first read after it advances the key's view by the merge's new updates (no Y.Doc): "merge + read all" is the like-for-like column\n   converged: both replicas read every key as the edits made it (converge: byte-identical states; Yjs: equal state vectors)\n   every key reads the same text in converge and Yjs after the merge: ${r.sameTexts ? "yes" : "NO"}`;
}
