import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { lww, pncounter } from "@converge/resolvers";
import { describe, expect, it } from "vitest";
import { history } from "../kit/history.ts";

// The cluster tests' oracle must be able to fail: fed a final state that lost, resurrected or
// miscounted a write, it names that write; fed the true merge of every replica, it is silent.

const rules = { default: lww(), keys: { "c:*": pncounter() } };
const replica = (): ReplicatedMap => createReplicatedMap({ resolvers: rules });
const merged = (...maps: ReplicatedMap[]): ReplicatedMap => {
  const out = replica();
  for (const m of maps) out.applyState(m.encodeState());
  return out;
};

function scene(): { a: ReplicatedMap; b: ReplicatedMap; log: ReturnType<typeof history> } {
  let t = 0;
  const log = history(() => ++t);
  const a = replica();
  const b = replica();
  log.set("a", a, "l:x", "a1");
  log.increment("a", a, "c:n", 2);
  log.set("a", a, "u:a:1", 1);
  log.set("b", b, "l:x", "b1"); // concurrent with a1
  log.increment("b", b, "c:n", 3);
  b.applyState(a.encodeState());
  log.set("b", b, "l:x", "b2"); // observed both: newest
  log.delete("a", a, "u:a:1");
  return { a, b, log };
}

describe("the history check", () => {
  it("is silent on the merge of every replica", () => {
    const { a, b, log } = scene();
    expect(log.check(merged(a, b))).toEqual([]);
  });

  it("names a lost last-writer-wins write", () => {
    const { a, log } = scene();
    const problems = log.check(merged(a)); // b's writes never arrived
    expect(problems.some((p) => p.startsWith('lost write: set l:x="b2" by client b'))).toBe(true);
  });

  it("names a miscounted counter", () => {
    const { a, log } = scene();
    expect(log.check(merged(a))).toContain("counter c:n reads 2, but its 2 increments sum to 5");
  });

  it("names a resurrected write", () => {
    const { a, b, log } = scene();
    // A value of u:a:1 that a's delete never saw, as a stale copy brought back would show: the
    // key must read absent after its last operation, a delete, so this is a resurrection.
    const stale = replica();
    stale.set("u:a:1", 1);
    const problems = log.check(merged(a, b, stale));
    expect(
      problems.some((p) => p.startsWith("resurrected write: u:a:1 reads 1 after delete u:a:1 by client a")),
    ).toBe(true);
  });

  it("records acknowledgement times by sequence number", () => {
    const { a, log } = scene();
    log.acked(a.id, 2);
    const mine = log.ops().filter((o) => o.replica === a.id);
    expect(mine.map((o) => o.ackedAt !== undefined)).toEqual([true, true, false, false]);
  });
});
