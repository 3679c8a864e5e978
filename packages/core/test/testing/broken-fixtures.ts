import { Timestamp } from "@converge/hlc";
import {
  type Concurrent,
  defineResolver,
  type ReplicaId,
  type Resolver,
  type Value,
} from "../../src/index.ts";

/**
 * Deliberately broken resolvers: the harness must catch each one. They are small, self-contained
 * registers or counters with one defect each.
 */
interface Reg {
  readonly replica: ReplicaId;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly value: Value;
  readonly gone: boolean;
}

const later = (a: Reg, b: Reg): boolean =>
  a.wall !== b.wall
    ? a.wall > b.wall
    : a.counter !== b.counter
      ? a.counter > b.counter
      : a.replica > b.replica;

function register(
  id: string,
  merge: (a: Reg, b: Reg) => Reg,
  options: { dropCounter?: boolean } = {},
): Resolver<Value, Value> {
  return defineResolver<Value, Value, Reg>({
    id,
    version: 1,
    set: (_s, value, st) => ({
      replica: st.replica,
      seq: st.seq,
      wall: st.time.wall,
      counter: st.time.counter,
      value,
      gone: false,
    }),
    remove: (_s, st) => ({
      replica: st.replica,
      seq: st.seq,
      wall: st.time.wall,
      counter: st.time.counter,
      value: null,
      gone: true,
    }),
    merge,
    read: (s) => (s.gone ? undefined : s.value),
    exists: (s) => !s.gone,
    conflicts: (s): Concurrent<Value>[] =>
      s.gone
        ? []
        : [
            {
              value: s.value,
              replica: s.replica,
              seq: s.seq,
              time: new Timestamp(s.wall, s.counter, s.replica),
            },
          ],
    versions: (s, visit) => visit(s.replica, s.seq),
    compact: (s) => s,
    encode: (s, w) => {
      w.replica(s.replica);
      w.uint(s.seq);
      w.time(s.wall, options.dropCounter ? 0 : s.counter);
      w.byte(s.gone ? 1 : 0);
      w.value(s.value);
    },
    decode: (r) => {
      const replica = r.replica();
      const seq = r.seq();
      const wall = r.time(replica);
      const counter = r.lastCounter;
      const gone = r.byte() === 1;
      return { replica, seq, wall, counter, value: r.value(), gone };
    },
  });
}

/** lww that keeps `this` (the left state) when wall time and counter are equal: no node tie-break. */
export const lwwKeepsThisOnTie: Resolver<Value, Value> = register("broken-lww-tie", (a, b) =>
  b.wall > a.wall || (b.wall === a.wall && b.counter > a.counter) ? b : a,
);

/** A correct lww whose codec drops the HLC counter. */
export const codecDropsCounter: Resolver<Value, Value> = register(
  "broken-codec",
  (a, b) => (later(b, a) ? b : a),
  { dropCounter: true },
);

/** A delete that wins over everything, even writes it never saw (should be observed-remove). */
export const deleteIgnoresConcurrentWrites: Resolver<Value, Value> = register("broken-delete", (a, b) => {
  if (a.gone !== b.gone) return a.gone ? a : b;
  return later(b, a) ? b : a;
});

/** A "max" register whose merge sums. */
export const maxThatSums: Resolver<Value, Value> = register("broken-max-sum", (a, b) => ({
  ...(later(a, b) ? a : b),
  value: (a.value as number) + (b.value as number),
}));

/** A grow-only counter whose merge adds the per-replica totals instead of taking their maxima. */
type Totals = readonly (readonly [ReplicaId, number, number])[]; // replica, seq, total

export const counterThatAdds: Resolver<number, number> = defineResolver<number, number, Totals>({
  id: "broken-counter-add",
  version: 1,
  increment: (s = [], amount, st) => {
    const mine = s.find(([r]) => r === st.replica);
    const rest = s.filter(([r]) => r !== st.replica);
    return [...rest, [st.replica, st.seq, (mine?.[2] ?? 0) + amount] as const].sort((x, y) =>
      x[0] < y[0] ? -1 : 1,
    );
  },
  remove: (s) => s,
  merge: (a, b) => {
    const out = new Map<ReplicaId, [number, number]>();
    for (const [r, q, t] of [...a, ...b]) {
      const cur = out.get(r);
      out.set(r, cur === undefined ? [q, t] : [Math.max(cur[0], q), cur[1] + t]);
    }
    return [...out].map(([r, [q, t]]) => [r, q, t] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  },
  read: (s) => s.reduce((n, [, , t]) => n + t, 0),
  exists: (s) => s.length > 0,
  conflicts: () => [],
  versions: (s, visit) => {
    for (const [r, q] of s) visit(r, q);
  },
  compact: (s) => s,
  encode: (s, w) => {
    w.uint(s.length);
    for (const [r, q, t] of s) {
      w.replica(r);
      w.uint(q);
      w.uint(t);
    }
  },
  decode: (r) => {
    const n = r.count(3, "total");
    const out: [ReplicaId, number, number][] = [];
    for (let i = 0; i < n; i++) out.push([r.replica(), r.seq(), r.uint()]);
    return out;
  },
});
