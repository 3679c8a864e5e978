import { createReplicatedMap, isConvergeError, type ReplicatedMap } from "@converge/core";
import { describe, expect, it } from "vitest";
import { caught } from "../../../test/kit/caught.ts";
import { gcounter, lww, maxRegister, minRegister, multiValue, pncounter } from "../src/index.ts";
import { allResolvers } from "./harness.ts";

const A = "00000000000000a1";
const B = "00000000000000b2";

function pair(now: { t: number }): [ReplicatedMap, ReplicatedMap] {
  const make = (node: string) =>
    createReplicatedMap({ resolvers: allResolvers, clockOptions: { node, now: () => now.t } });
  return [make(A), make(B)];
}

function sync(x: ReplicatedMap, y: ReplicatedMap): void {
  const dx = x.encodeDelta(y.versionVector());
  const dy = y.encodeDelta(x.versionVector());
  y.applyDelta(dx);
  x.applyDelta(dy);
}

describe("counters", () => {
  it("a counter at 5 deleted on one replica while another adds 1 reads 1", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.increment("pn:stock", 5);
    sync(a, b);
    a.delete("pn:stock");
    b.increment("pn:stock", 1);
    sync(a, b);
    expect(a.get("pn:stock")).toBe(1);
    expect(b.get("pn:stock")).toBe(1);
  });

  it("increments and decrements commute; value is the exact sum", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.increment("pn:x", 10);
    b.decrement("pn:x", 3);
    a.decrement("pn:x");
    b.increment("pn:x", 2);
    sync(a, b);
    expect(a.get("pn:x")).toBe(8);
    expect(b.get("pn:x")).toBe(8);
    expect(
      a
        .conflicts("pn:x")
        .map((c) => [c.replica, c.value])
        .sort(),
    ).toEqual([
      [A, 9],
      [B, -1],
    ]);
  });

  it("a delete everyone saw removes the key; later increments start from zero", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.increment("g:x", 4);
    b.increment("g:x", 3);
    sync(a, b);
    b.delete("g:x");
    sync(a, b);
    expect(a.has("g:x")).toBe(false);
    a.increment("g:x", 2);
    sync(a, b);
    expect(b.get("g:x")).toBe(2);
  });

  it("a gcounter refuses to decrease; overflow is a typed error that changes nothing", () => {
    const now = { t: 1000 };
    const [a] = pair(now);
    expect(
      isConvergeError(
        caught(() => a.decrement("g:x")),
        "UNSUPPORTED_OPERATION",
      ),
    ).toBe(true);
    a.increment("pn:big", Number.MAX_SAFE_INTEGER - 1);
    expect(
      isConvergeError(
        caught(() => a.increment("pn:big", 5)),
        "COUNTER_OVERFLOW",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => a.increment("pn:big", 0.5)),
        "INVALID_VALUE",
      ),
    ).toBe(true);
    expect(a.get("pn:big")).toBe(Number.MAX_SAFE_INTEGER - 1);
    a.increment("pn:big");
    expect(a.get("pn:big")).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("refuses set on a counter key and increment on a register key", () => {
    const [a] = pair({ t: 1000 });
    expect(
      isConvergeError(
        caught(() => a.set("pn:x", 3)),
        "UNSUPPORTED_OPERATION",
      ),
    ).toBe(true);
    expect(
      isConvergeError(
        caught(() => a.increment("lww:x", 3)),
        "UNSUPPORTED_OPERATION",
      ),
    ).toBe(true);
  });
});

describe("registers", () => {
  it("lww: concurrent writes go to the highest HLC; equal time is broken by node id", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.set("lww:p", "a");
    b.set("lww:p", "b"); // same wall time and counter: node id b2 > a1 wins
    sync(a, b);
    expect(a.get("lww:p")).toBe("b");
    expect(b.get("lww:p")).toBe("b");
    now.t += 1;
    a.set("lww:q", "a-later-by-clock");
    now.t -= 1;
    b.set("lww:q", "b-earlier");
    sync(a, b);
    expect(b.get("lww:q")).toBe("a-later-by-clock");
    expect(b.conflicts("lww:q").map((c) => c.value)).toEqual(["a-later-by-clock", "b-earlier"]);
  });

  it("causally later writes win for every register, even a smaller value under max", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.set("max:m", 10);
    a.set("min:n", 1);
    a.set("mv:v", "x");
    sync(a, b);
    b.set("max:m", 3);
    b.set("min:n", 9);
    b.set("mv:v", "y");
    sync(a, b);
    expect([a.get("max:m"), a.get("min:n"), a.get("mv:v")]).toEqual([3, 9, ["y"]]);
  });

  it("max/min read concurrent writes as the extreme; multi-value keeps all, newest first", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.set("max:m", 5);
    a.set("min:n", 5);
    a.set("mv:v", "old");
    now.t += 1;
    b.set("max:m", 2);
    b.set("min:n", 2);
    b.set("mv:v", "new");
    sync(a, b);
    expect(a.get("max:m")).toBe(5);
    expect(a.get("min:n")).toBe(2);
    expect(a.get("mv:v")).toEqual(["new", "old"]);
    expect(b.get("mv:v")).toEqual(["new", "old"]);
    a.set("mv:v", "merged");
    sync(a, b);
    expect(b.get("mv:v")).toEqual(["merged"]);
  });

  it("delete is observed-remove: a concurrent write survives it", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.set("lww:d", 1);
    sync(a, b);
    a.delete("lww:d");
    now.t -= 100; // even with an older clock, the concurrent write is not lost
    b.set("lww:d", 2);
    sync(a, b);
    expect(a.get("lww:d")).toBe(2);
    expect(b.get("lww:d")).toBe(2);
  });

  it("a delete that saw the write removes it everywhere", () => {
    const now = { t: 1000 };
    const [a, b] = pair(now);
    a.set("mv:d", 1);
    b.set("mv:d", 2);
    sync(a, b);
    b.delete("mv:d");
    sync(a, b);
    expect(a.has("mv:d")).toBe(false);
    expect(a.conflicts("mv:d")).toEqual([]);
  });

  it("factories carry stable ids and versions", () => {
    expect(
      [lww(), multiValue(), maxRegister(), minRegister(), gcounter(), pncounter()].map(
        (r) => `${r.id}@${r.version}`,
      ),
    ).toEqual(["lww@1", "mv@1", "max@1", "min@1", "gcounter@2", "pncounter@2"]);
  });
});
