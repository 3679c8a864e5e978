import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareTimestamps, createClock, nodeIdFromBigInt, type Timestamp } from "../src/index.ts";

/**
 * A message-passing system: each node's physical clock is true time plus a fixed skew in
 * [0, epsilon]. True time advances 1 ms per step and one node acts per step: a local event, a send,
 * or the receipt of a pending message. Vector clocks track happens-before exactly.
 */
type Action = { kind: "local" | "send"; node: number } | { kind: "recv"; node: number; pick: number };

const scenario = fc.integer({ min: 2, max: 5 }).chain((nodes) =>
  fc.record({
    nodes: fc.constant(nodes),
    epsilon: fc.integer({ min: 0, max: 50 }),
    skews: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: nodes, maxLength: nodes }),
    actions: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constantFrom("local" as const, "send" as const), node: fc.nat(nodes - 1) }),
        fc.record({ kind: fc.constant("recv" as const), node: fc.nat(nodes - 1), pick: fc.nat() }),
      ),
      { minLength: 1, maxLength: 300 },
    ) as fc.Arbitrary<Action[]>,
  }),
);

interface Event {
  readonly ts: Timestamp;
  readonly vc: readonly number[];
}

function happenedBefore(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if ((a[i] as number) > (b[i] as number)) return false;
    if ((a[i] as number) < (b[i] as number)) strictly = true;
  }
  return strictly;
}

describe("HLC in a simulated message-passing system", () => {
  it("happens-before implies a smaller timestamp; l - pt <= epsilon; the counter stays bounded", () => {
    fc.assert(
      fc.property(scenario, ({ nodes, epsilon, skews, actions }) => {
        let trueTime = 1_000_000;
        const offsets = skews.map((s) => Math.round(s * epsilon));
        const clocks = offsets.map((off, i) =>
          createClock({ node: nodeIdFromBigInt(BigInt(i + 1)), now: () => trueTime + off }),
        );
        const vcs = offsets.map(() => new Array<number>(nodes).fill(0));
        const inboxes = offsets.map(() => [] as Event[]);
        const events: Event[] = [];
        let maxCounter = 0;

        for (const action of actions) {
          trueTime += 1;
          const i = action.node;
          const clock = clocks[i];
          const vc = vcs[i];
          if (clock === undefined || vc === undefined) throw new Error("bad node");
          let ts: Timestamp;
          if (action.kind === "recv") {
            const inbox = inboxes[i] ?? [];
            if (inbox.length === 0) continue;
            const [msg] = inbox.splice(action.pick % inbox.length, 1);
            if (msg === undefined) continue;
            for (let k = 0; k < nodes; k++) vc[k] = Math.max(vc[k] as number, msg.vc[k] as number);
            ts = clock.observe(msg.ts);
          } else {
            ts = clock.tick();
          }
          vc[i] = (vc[i] as number) + 1;
          const event: Event = { ts, vc: [...vc] };
          events.push(event);
          if (action.kind === "send") {
            const to = (i + 1 + (event.vc[i] as number)) % nodes;
            if (to !== i) inboxes[to]?.push(event);
          }
          const pt = trueTime + (offsets[i] as number);
          expect(ts.wall - pt).toBeLessThanOrEqual(epsilon);
          maxCounter = Math.max(maxCounter, ts.counter);
        }

        // Counter bound after the paper: at most one event per node per ms of true time.
        expect(maxCounter).toBeLessThanOrEqual(nodes * (epsilon + 1));
        for (const e of events) {
          for (const f of events) {
            if (happenedBefore(e.vc, f.vc)) expect(compareTimestamps(e.ts, f.ts)).toBe(-1);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
