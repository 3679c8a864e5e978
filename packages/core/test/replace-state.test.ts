import { isConvergeError } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { type ChangeEvent, versionVector } from "../src/index.ts";
import { hex, replica, type TestTime } from "./fixtures.ts";

describe("replaceState", () => {
  /** A, B in sync; A deletes "gone" and compacts with B's vector; C saw "gone" before the delete. */
  const setup = () => {
    const time: TestTime = { now: 1_000 };
    const a = replica("00000000000000a1", time);
    const c = replica("00000000000000c1", time);
    a.set("gone", "old");
    a.set("kept", 1);
    c.applyState(a.encodeState());
    time.now++;
    a.delete("gone");
    // Every live replica (only C's lease expired) has seen the delete: A compacts with its own vector.
    expect(a.compact([a.versionVector()])).toBeGreaterThan(0);
    return { time, a, c };
  };

  it("a plain merge leaves a replica behind the compaction holding a collected key; replaceState does not", () => {
    const { a, c } = setup();
    const merged = replica("00000000000000c2", { now: 1_000 });
    merged.applyState(c.encodeState());
    merged.applyDelta(a.encodeDelta(merged.versionVector()));
    expect(merged.get("gone")).toBe("old"); // the hazard the sync reset exists for

    c.replaceState(a.encodeState());
    expect(c.get("gone")).toBeUndefined();
    expect(hex(c.encodeState())).toBe(hex(a.encodeState()));
  });

  it("re-applies ops on top; the stale parts they carry stop at the causal barrier", () => {
    const { time, a, c } = setup();
    const ops: Uint8Array[] = [];
    c.onOp((op) => ops.push(op));
    time.now++;
    c.set("mine", "offline"); // unacknowledged
    c.set("mv:tags", ["x"]);
    const seqBefore = c.versionVector().get(c.id);
    const result = c.replaceState(a.encodeState(), ops);
    expect(result.duplicate).toBe(false);
    expect(c.get("gone")).toBeUndefined();
    expect(c.get("mine")).toBe("offline");
    expect(c.get("kept")).toBe(1);
    // A takes the ops as the server would: both end byte-identical.
    for (const op of ops) a.applyOp(op);
    expect(hex(c.encodeState())).toBe(hex(a.encodeState()));
    // The next own operation continues after every seq used before.
    c.set("after", 1);
    expect(c.versionVector().get(c.id)).toBe(seqBefore + 1);
  });

  it("never reuses a seq even when its own ops are not re-applied", () => {
    const { a, c } = setup();
    c.set("lost", 1);
    c.set("lost", 2);
    const used = c.versionVector().get(c.id);
    c.replaceState(a.encodeState());
    const ops: Uint8Array[] = [];
    c.onOp((op) => ops.push(op));
    c.set("next", 1);
    expect(used).toBe(2);
    expect(c.get("lost")).toBeUndefined();
    // A replica that saw seqs 1..2 of C (the lost writes) must not take the new op as a duplicate.
    const old = replica("00000000000000d1", { now: 1_000 });
    old.applyState(a.encodeState());
    old.applyOp(ops[0] as Uint8Array);
    expect(old.get("next")).toBe(1);
    const seen = replica("00000000000000d2", { now: 1_000 });
    seen.applyState(c.encodeState());
    expect(seen.versionVector().get(c.id)).toBe(0); // 1..2 left a gap: seq 3 sits in the cloud
    expect(seen.get("next")).toBe(1);
  });

  it("one remote event with exactly the keys whose bytes changed; snapshots keep the old state", () => {
    const { a, c } = setup();
    const view = c.snapshot();
    const events: ChangeEvent[] = [];
    c.subscribe((e) => events.push(e));
    const result = c.replaceState(a.encodeState());
    expect(result.changed).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.origin).toBe("remote");
    expect(events[0]?.changes.map((x) => [x.key, x.value, x.previous])).toEqual([["gone", undefined, "old"]]);
    expect(view.get("gone")).toBe("old");
    expect(c.versionVector().compare(a.versionVector())).toBe("equal");
  });

  it("a refused payload changes nothing", () => {
    const { a, c } = setup();
    const before = hex(c.encodeState());
    const good = a.encodeState();
    const flipped = good.slice();
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    for (const [payload, then] of [
      [flipped, []],
      [good, [flipped]],
      [a.encodeDelta(versionVector([["00000000000000a1", 1]])), []],
    ] as const) {
      let error: unknown;
      try {
        c.replaceState(payload, then);
      } catch (e) {
        error = e;
      }
      expect(isConvergeError(error), String(error)).toBe(true);
      expect(hex(c.encodeState())).toBe(before);
    }
    expect(() => c.replaceState("x" as unknown as Uint8Array)).toThrow(/replaceState/);
  });

  it("takes a delta since the empty vector like the full state", () => {
    const { a, c } = setup();
    c.replaceState(a.encodeDelta(versionVector()));
    expect(hex(c.encodeState())).toBe(hex(a.encodeState()));
  });
});
