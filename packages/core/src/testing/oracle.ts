// Oracle: what each simulated replica has seen, and the check of its reads against the specifications.
import type { Timestamp } from "@converge/hlc";
import { compileKeyRules, type KeyRulesConfig } from "../key-rules.ts";
import type { ReplicatedMap } from "../replicated-map-types.ts";
import { replicaNode } from "./history.ts";
import type { Spec, SpecOp } from "./specs.ts";

/** A replica read what the specification says it must not (or the replicas did not converge). */
export class Violation extends Error {}

/**
 * The oracle of a network check: for each replica, every operation it has seen (by key), learnt
 * from the operations it made and from the messages it applied; {@link Oracle.check} compares each
 * replica's reads with the specification evaluated over those operations.
 */
export class Oracle {
  readonly seen: Map<string, Map<string, SpecOp>>[];
  readonly #specs: Readonly<Record<string, Spec>>;
  readonly #resolverId: (key: string) => string;
  readonly #keys: readonly string[];

  constructor(
    n: number,
    rules: KeyRulesConfig,
    specs: Readonly<Record<string, Spec>>,
    keys: readonly string[],
  ) {
    this.#keys = keys;
    this.#specs = specs;
    const compiled = compileKeyRules(rules);
    this.#resolverId = (key) => compiled.resolverFor(key).id;
    this.seen = Array.from({ length: n }, () => new Map());
  }

  /** Every operation `replica` has seen, by key, frozen as a message payload. */
  snapshot(replica: number): Map<string, readonly SpecOp[]> {
    const out = new Map<string, readonly SpecOp[]>();
    for (const [k, ops] of this.seen[replica] ?? []) out.set(k, [...ops.values()]);
    return out;
  }

  /** Replica `replica` now has seen the operations `seen`. */
  learn(replica: number, seen: ReadonlyMap<string, readonly SpecOp[]>): void {
    const mine = this.seen[replica] as Map<string, Map<string, SpecOp>>;
    for (const [k, ops] of seen) {
      let m = mine.get(k);
      if (m === undefined) {
        m = new Map();
        mine.set(k, m);
      }
      for (const o of ops) m.set(o.id, o);
    }
  }

  /**
   * Records the operation replica `replica` just made on `key` (map `m`, which made it) and
   * returns what a message carrying it teaches: the key's operations as `replica` has seen them.
   */
  record(
    replica: number,
    m: ReplicatedMap,
    key: string,
    kind: SpecOp["kind"],
    arg: unknown,
  ): ReadonlyMap<string, readonly SpecOp[]> {
    const node = replicaNode(replica);
    const seq = m.seqOf(node);
    const mine = this.seen[replica] as Map<string, Map<string, SpecOp>>;
    let onKey = mine.get(key);
    if (onKey === undefined) {
      onKey = new Map();
      mine.set(key, onKey);
    }
    const conflicts = m.conflicts(key);
    const time = (conflicts.find((c) => c.replica === node && c.seq === seq)?.time ??
      m.clock.last()) as Timestamp;
    const op: SpecOp = {
      id: `${node}:${seq}`,
      replica: node,
      seq,
      key,
      kind,
      ...(kind === "set" ? { value: arg } : {}),
      ...(kind === "increment" ? { amount: arg as number } : {}),
      time,
      observed: new Set(onKey.keys()),
    };
    onKey.set(op.id, op);
    return new Map<string, readonly SpecOp[]>([[key, [...onKey.values()]]]);
  }

  /** Checks every replica's every key against the specification of what it has seen. */
  check(replicas: readonly ReplicatedMap[]): void {
    const keys = this.#keys;
    for (let i = 0; i < replicas.length; i++) {
      const m = replicas[i] as ReplicatedMap;
      for (const key of keys) {
        const spec = this.#specs[this.#resolverId(key)];
        if (spec === undefined) continue;
        const ops = [...(this.seen[i]?.get(key)?.values() ?? [])];
        const expected = spec(ops);
        const present = m.has(key);
        const value = m.get(key);
        const ok = expected.present
          ? present && JSON.stringify(value) === JSON.stringify(expected.value)
          : !present;
        if (!ok) {
          throw new Violation(
            `replica r${i} key ${JSON.stringify(key)} reads ${present ? JSON.stringify(value) : "(absent)"} but the specification says ${
              expected.present ? JSON.stringify(expected.value) : "(absent)"
            }\n  operations it has seen: ${ops
              .map(
                (o) =>
                  `${o.id} ${o.kind}${o.kind === "set" ? `(${JSON.stringify(o.value)})` : o.kind === "increment" ? `(${o.amount})` : ""} observed [${[...o.observed].join(" ")}]`,
              )
              .join("; ")}`,
          );
        }
      }
    }
  }
}
