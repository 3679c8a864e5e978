import type { BenchConfig } from "../config.ts";
import { type ImplResult, timedResult } from "../impl-result.ts";
import { keyOf, makeKeys } from "../keys.ts";
import { collectGarbage, interleaved, type Timing, timedCase } from "../measure.ts";
import { counterReplica, nodeId } from "../replicas.ts";
import { ratio } from "../report.ts";

/** Merging every replica's counter state into one fresh replica. */
export interface CountersResult {
  readonly replicas: number;
  readonly keys: number;
  readonly reps: number;
  readonly results: readonly ImplResult[];
  /** converge time / plain-JS (JSON) time. */
  readonly convergeOverPlainJson: number | null;
  /** converge time / plain-JS (in-memory) time. */
  readonly convergeOverPlainMemory: number | null;
}

/** What replica r adds to key i. */
const amount = (r: number, i: number): number => ((r + i) % 5) + 1;

/** One replica's own totals, as a hand-written implementation would keep them. */
interface PlainReplica {
  readonly replica: string;
  readonly totals: Map<string, number>;
}

/** Per key, per replica: the largest total seen (a G-counter merge). */
type PlainCounters = Map<string, Map<string, number>>;

function mergePlain(target: PlainCounters, replica: string, totals: Iterable<[string, number]>): void {
  for (const [key, total] of totals) {
    let perReplica = target.get(key);
    if (perReplica === undefined) {
      perReplica = new Map();
      target.set(key, perReplica);
    }
    const old = perReplica.get(replica);
    if (old === undefined || total > old) perReplica.set(replica, total);
  }
}

function plainValue(target: PlainCounters, key: string): number {
  let sum = 0;
  for (const v of target.get(key)?.values() ?? []) sum += v;
  return sum;
}

function expectedValue(replicas: number, i: number): number {
  let sum = 0;
  for (let r = 0; r < replicas; r++) sum += amount(r, i);
  return sum;
}

/** Indexes checked after each merge. */
function sampleIndexes(n: number): number[] {
  return [0, 1, 2, 3, 4, n >> 1, n - 1].filter((i) => i >= 0 && i < n);
}

/** R replicas each increment all K keys; time merging the R encoded states into one fresh replica. */
export function runCounters(config: BenchConfig, log: (msg: string) => void): CountersResult {
  const { counterReplicas: replicas, counterKeys: n, reps } = config;
  const keys = makeKeys(n);
  log(`counters ${replicas}×${n}: building replicas`);
  const states: Uint8Array[] = [];
  const plain: PlainReplica[] = [];
  for (let r = 0; r < replicas; r++) {
    const map = counterReplica(nodeId(r + 1));
    const totals = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      map.increment(key, amount(r, i));
      totals.set(key, amount(r, i));
    }
    states.push(map.encodeState());
    plain.push({ replica: map.id, totals });
  }
  const json = plain.map((p) => JSON.stringify({ replica: p.replica, totals: [...p.totals] }));
  collectGarbage();

  const check = (read: (key: string) => number | undefined, impl: string): void => {
    for (const i of sampleIndexes(n)) {
      const got = read(keyOf(i));
      if (got !== expectedValue(replicas, i)) {
        throw new Error(`${impl}: ${keyOf(i)} reads ${got}, expected ${expectedValue(replicas, i)}`);
      }
    }
  };

  log(`counters ${replicas}×${n}: converge and plain JS, interleaved run by run`);
  // Interleaved, so a change in the machine's load falls on every implementation alike.
  const [converge, plainJson, plainMemory] = interleaved({ reps }, [
    timedCase({
      setup: () => counterReplica(nodeId(0xff)),
      run: (fresh) => {
        for (const s of states) fresh.applyState(s);
        return fresh;
      },
      check: (fresh) => check((k) => fresh.get<number>(k), "converge"),
    }),
    timedCase({
      setup: (): PlainCounters => new Map(),
      run: (target) => {
        for (const text of json) {
          const parsed = JSON.parse(text) as { replica: string; totals: [string, number][] };
          mergePlain(target, parsed.replica, parsed.totals);
        }
        return target;
      },
      check: (target) => check((k) => plainValue(target, k), "plain JS (JSON)"),
    }),
    timedCase({
      setup: (): PlainCounters => new Map(),
      run: (target) => {
        for (const p of plain) mergePlain(target, p.replica, p.totals);
        return target;
      },
      check: (target) => check((k) => plainValue(target, k), "plain JS (in-memory)"),
    }),
  ]) as [Timing, Timing, Timing];
  collectGarbage();
  const total = (list: readonly { length: number }[]): number => list.reduce((s, x) => s + x.length, 0);
  const results = [
    timedResult("converge", converge, total(states), `${replicas} × applyState`),
    timedResult(
      "plain JS (JSON)",
      plainJson,
      json.reduce((s, t) => s + Buffer.byteLength(t), 0),
      "JSON.parse + per-replica max",
    ),
    timedResult("plain JS (in-memory, no decode)", plainMemory, null, "per-replica max only"),
  ];
  return {
    replicas,
    keys: n,
    reps,
    results,
    convergeOverPlainJson: ratio(converge.medianMs, plainJson.medianMs),
    convergeOverPlainMemory: ratio(converge.medianMs, plainMemory.medianMs),
  };
}
