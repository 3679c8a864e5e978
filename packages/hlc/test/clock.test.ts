import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { caught } from "../../../test/kit/caught.ts";
import {
  type ClockBackwardsEvent,
  type ClockDriftError,
  compareTimestamps,
  createClock,
  DEFAULT_MAX_DRIFT_MS,
  isConvergeError,
  MAX_WALL,
  timestamp,
} from "../src/index.ts";
import { timestampArb } from "./arbitraries.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

/** A physical time source the test moves by hand. */
function manualTime(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

describe("tick", () => {
  it("strictly increases whatever the physical clock does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 200 }),
        (times) => {
          const time = manualTime(0);
          const clock = createClock({ node: A, now: time.now });
          let prev = clock.tick();
          for (const t of times) {
            time.set(t);
            const next = clock.tick();
            expect(compareTimestamps(next, prev)).toBe(1);
            prev = next;
          }
        },
      ),
    );
  });

  it("uses physical time when it is ahead, with counter 0", () => {
    const time = manualTime(1000);
    const clock = createClock({ node: A, now: time.now });
    expect(clock.tick()).toMatchObject({ wall: 1000, counter: 0, node: A });
    expect(clock.tick()).toMatchObject({ wall: 1000, counter: 1 });
    time.set(1005);
    expect(clock.tick()).toMatchObject({ wall: 1005, counter: 0 });
  });

  it("borrows the next millisecond after 65,536 events in one millisecond", () => {
    const time = manualTime(5000);
    const clock = createClock({ node: A, now: time.now });
    let last = clock.tick();
    for (let i = 1; i < 65536; i++) last = clock.tick();
    expect(last).toMatchObject({ wall: 5000, counter: 65535 });
    const borrowed = clock.tick();
    expect(borrowed).toMatchObject({ wall: 5001, counter: 0 });
    expect(compareTimestamps(borrowed, last)).toBe(1);
    // Physical time catching up does not reissue.
    time.set(5001);
    expect(clock.tick()).toMatchObject({ wall: 5001, counter: 1 });
  });

  it("fails with HLC_OVERFLOW instead of wrapping at the largest wall time", () => {
    const clock = createClock({
      node: A,
      now: () => MAX_WALL,
      restore: { wall: MAX_WALL, counter: 65534, node: A },
    });
    expect(clock.tick()).toMatchObject({ wall: MAX_WALL, counter: 65535 });
    expect(isConvergeError(caught(clock.tick), "HLC_OVERFLOW")).toBe(true);
    expect(clock.last()).toMatchObject({ wall: MAX_WALL, counter: 65535 });
  });

  it("rejects a physical time source that returns garbage", () => {
    for (const bad of [Number.NaN, -1, 1.5, MAX_WALL + 1]) {
      const clock = createClock({ node: A, now: () => bad });
      expect(isConvergeError(caught(clock.tick), "HLC_PHYSICAL_TIME")).toBe(true);
    }
  });

  it("reports a physical clock that jumps backwards and stays monotonic", () => {
    const time = manualTime(10_000);
    const events: ClockBackwardsEvent[] = [];
    const clock = createClock({ node: A, now: time.now, onBackwards: (e) => events.push(e) });
    const t1 = clock.tick();
    time.set(9_000);
    const t2 = clock.tick();
    expect(compareTimestamps(t2, t1)).toBe(1);
    expect(t2).toMatchObject({ wall: 10_000, counter: 1 });
    expect(events).toEqual([{ previous: 10_000, current: 9_000, by: 1_000 }]);
  });
});

describe("observe", () => {
  it("the next tick after observe(r) is greater than r and than every earlier tick", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.array(timestampArb, { maxLength: 20 }),
        (pt, remotes) => {
          const clock = createClock({ node: A, now: () => pt, maxDrift: Number.POSITIVE_INFINITY });
          let prev = clock.tick();
          for (const r of remotes) {
            if (r.wall >= MAX_WALL) continue;
            const got = clock.observe(r);
            expect(compareTimestamps(got, r)).toBe(1);
            expect(compareTimestamps(got, prev)).toBe(1);
            const next = clock.tick();
            expect(compareTimestamps(next, r)).toBe(1);
            prev = next;
          }
        },
      ),
    );
  });

  it("accepts drift exactly at the limit and rejects 1 ms past it, unchanged", () => {
    const time = manualTime(1_000_000);
    const clock = createClock({ node: A, now: time.now });
    expect(clock.maxDrift).toBe(DEFAULT_MAX_DRIFT_MS);
    clock.tick();
    const before = clock.state();
    const tooFar = timestamp(1_000_000 + DEFAULT_MAX_DRIFT_MS + 1, 0, B);
    const err = caught(() => clock.observe(tooFar));
    expect(isConvergeError(err, "HLC_DRIFT")).toBe(true);
    const drift = err as ClockDriftError;
    expect(drift.aheadBy).toBe(DEFAULT_MAX_DRIFT_MS + 1);
    expect(drift.maxDrift).toBe(DEFAULT_MAX_DRIFT_MS);
    expect(drift.message).toMatch(/remote clock is ahead .* by 300001 ms/);
    expect(clock.state()).toEqual(before);
    expect(
      isConvergeError(
        caught(() => clock.check(tooFar)),
        "HLC_DRIFT",
      ),
    ).toBe(true);
    expect(clock.state()).toEqual(before);

    const atLimit = timestamp(1_000_000 + DEFAULT_MAX_DRIFT_MS, 3, B);
    clock.check(atLimit);
    expect(clock.observe(atLimit)).toMatchObject({ wall: atLimit.wall, counter: 4, node: A });
  });

  it("never lets a far-future timestamp poison the clock", () => {
    const time = manualTime(50_000);
    const clock = createClock({ node: A, now: time.now, maxDrift: 1000 });
    const far = timestamp(MAX_WALL, 65535, B);
    expect(
      isConvergeError(
        caught(() => clock.observe(far)),
        "HLC_DRIFT",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => clock.observeBatch([timestamp(1, 0, B), far])),
        "HLC_DRIFT",
      ),
    ).toBe(true);
    expect(clock.tick()).toMatchObject({ wall: 50_000, counter: 0 });
  });

  it("honours a configured maxDrift", () => {
    const clock = createClock({ node: A, now: () => 100, maxDrift: 10 });
    clock.observe(timestamp(110, 0, B));
    expect(
      isConvergeError(
        caught(() => clock.observe(timestamp(111, 0, B))),
        "HLC_DRIFT",
      ),
    ).toBe(true);
  });

  it("observeBatch equals observing the batch maximum; empty batch changes nothing", () => {
    fc.assert(
      fc.property(fc.array(timestampArb, { maxLength: 10 }), (batch) => {
        const ok = batch.filter((t) => t.wall < 2 ** 40);
        const c1 = createClock({ node: A, now: () => 7, maxDrift: Number.POSITIVE_INFINITY });
        const c2 = createClock({ node: A, now: () => 7, maxDrift: Number.POSITIVE_INFINITY });
        const got = c1.observeBatch(ok);
        if (ok.length === 0) {
          expect(got).toBeUndefined();
          expect(c1.state()).toEqual(c2.state());
          return;
        }
        const max = ok.reduce((m, t) => (compareTimestamps(t, m) > 0 ? t : m));
        expect(got).toEqual(c2.observe(max));
      }),
    );
  });

  it("follows the receive rule of Kulkarni et al. for each case", () => {
    const time = manualTime(100);
    const clock = createClock({ node: A, now: time.now });
    clock.tick(); // (100, 0)
    expect(clock.observe(timestamp(100, 5, B))).toMatchObject({ wall: 100, counter: 6 }); // equal walls
    expect(clock.observe(timestamp(90, 50, B))).toMatchObject({ wall: 100, counter: 7 }); // local ahead
    expect(clock.observe(timestamp(120, 3, B))).toMatchObject({ wall: 120, counter: 4 }); // remote ahead
    time.set(200);
    expect(clock.observe(timestamp(150, 9, B))).toMatchObject({ wall: 200, counter: 0 }); // physical ahead
  });
});

describe("persistence", () => {
  it("a restored clock never issues a timestamp at or below one issued before", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2000 }),
        (start, ticks, restartAt) => {
          const c1 = createClock({ node: A, now: () => start });
          let last = c1.tick();
          for (let i = 1; i < ticks; i++) last = c1.tick();
          const saved = JSON.parse(JSON.stringify(c1.state()));
          const c2 = createClock({ node: A, now: () => restartAt, restore: saved });
          expect(compareTimestamps(c2.tick(), last)).toBe(1);
        },
      ),
    );
  });

  it("rejects a corrupt restored state", () => {
    expect(
      isConvergeError(
        caught(() => createClock({ node: A, restore: { wall: -5, counter: 0, node: A } })),
        "HLC_RANGE",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => createClock({ node: "xyz" })),
        "HLC_RANGE",
      ),
    ).toBe(true);
  });

  it("defaults to a random 64-bit node id", () => {
    const a = createClock();
    const b = createClock();
    expect(a.node).toMatch(/^[0-9a-f]{16}$/);
    expect(a.node).not.toBe(b.node);
  });
});
