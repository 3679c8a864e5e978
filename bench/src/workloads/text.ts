import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww } from "@converge/resolvers";
import { clientIdOf, editText, yjsText } from "@converge/yjs";
import * as Y from "yjs";
import type { BenchConfig } from "../config.ts";
import { FULL_STATE_WARMUP } from "../config.ts";
import { keep, measure } from "../measure.ts";
import { NODE_A, NODE_B } from "../replicas.ts";
import { fmtBytes, fmtMs, fmtRatio, ratio, renderTable } from "../report.ts";

/** One implementation's full-state merge of the text workload. */
export interface TextImplResult {
  readonly impl: "converge" | "Yjs";
  /** Decode + merge of the other replica's full state, median. */
  readonly mergeMs: number;
  /** Decode + merge, then read every text, median. */
  readonly mergeReadMs: number;
  readonly stateBytes: number;
}

/** `keys` texts of about 1 KB, each edited concurrently on two replicas, merged by full state. */
export interface TextResult {
  readonly keys: number;
  readonly textBytes: number;
  readonly reps: number;
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

/**
 * Text keys: `BENCH_TEXT_KEYS` (default 1,000) texts of 1 KB, each edited concurrently on two
 * replicas; replica B merges A's full state (decode + merge; then reading every text). Yjs runs
 * the same edits in one Y.Doc holding a Y.Map of Y.Text (`encodeStateAsUpdate` / `applyUpdate`).
 */
export function runText(config: BenchConfig, log: (msg: string) => void): TextResult {
  const keys = Number(process.env["BENCH_TEXT_KEYS"] ?? 1000);
  const reps = config.reps;
  log(`text: ${keys} keys of 1 KB, concurrent edits on two replicas`);
  const [ca, cb] = convergeReplicas(keys);
  const cState = ca.encodeState();
  const cTarget = cb.encodeState();
  const rules = { default: lww(), keys: { "desc:*": yjsText() } };
  const readAll = (m: ReplicatedMap): number => {
    let n = 0;
    for (let i = 0; i < keys; i++) n += (m.get<string>(`desc:${i}`) ?? "").length;
    return n;
  };
  // A replica in use has read its texts (each key's Yjs document is live), as the Yjs target is.
  const target = (): ReplicatedMap => {
    const m = createReplicatedMap({ resolvers: rules, clockOptions: { node: NODE_B }, state: cTarget });
    readAll(m);
    return m;
  };
  const opts = { reps, warmup: FULL_STATE_WARMUP };
  const cMerge = measure(opts, target, (m) => m.applyState(cState));
  const cMergeRead = measure(opts, target, (m) => {
    m.applyState(cState);
    return readAll(m);
  });

  const [ya, yb] = yjsDocs(keys);
  const yState = Y.encodeStateAsUpdate(ya);
  const yTarget = Y.encodeStateAsUpdate(yb);
  const ytarget = (): Y.Doc => {
    const d = new Y.Doc();
    Y.applyUpdate(d, yTarget);
    return d;
  };
  const yReadAll = (d: Y.Doc): number => {
    const m = d.getMap<Y.Text>("texts");
    let n = 0;
    for (let i = 0; i < keys; i++) n += (m.get(`desc:${i}`) as Y.Text).toString().length;
    return n;
  };
  const yMerge = measure(opts, ytarget, (d) => Y.applyUpdate(d, yState));
  const yMergeRead = measure(opts, ytarget, (d) => {
    Y.applyUpdate(d, yState);
    return yReadAll(d);
  });

  // Same convergence: after the merge, every key reads alike in converge and in Yjs.
  const cm = target();
  cm.applyState(cState);
  const yd = ytarget();
  Y.applyUpdate(yd, yState);
  const ym = yd.getMap<Y.Text>("texts");
  let sameTexts = true;
  for (let i = 0; i < keys && sameTexts; i++) {
    const c = cm.get<string>(`desc:${i}`);
    sameTexts = c === (ym.get(`desc:${i}`) as Y.Text).toString() && c.includes("A") && c.endsWith("B");
  }
  keep(cm);
  keep(yd);
  return {
    keys,
    textBytes: 1024,
    reps,
    impls: [
      {
        impl: "converge",
        mergeMs: cMerge.medianMs,
        mergeReadMs: cMergeRead.medianMs,
        stateBytes: cState.length,
      },
      { impl: "Yjs", mergeMs: yMerge.medianMs, mergeReadMs: yMergeRead.medianMs, stateBytes: yState.length },
    ],
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
  ]);
  return `${renderTable(
    `7. Text keys: ${r.keys} texts of ${r.textBytes} B, each edited concurrently on two replicas; full-state merge (decode + merge), median of ${r.reps} after ${FULL_STATE_WARMUP} warm-ups`,
    [
      { header: "implementation" },
      { header: "merge", align: "right" },
      { header: "/ converge", align: "right" },
      { header: "merge + read all", align: "right" },
      { header: "/ converge", align: "right" },
      { header: "state", align: "right" },
    ],
    rows,
  )}\n   every key reads the same text in converge and Yjs after the merge: ${r.sameTexts ? "yes" : "NO"}`;
}
