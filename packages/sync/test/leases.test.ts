import { type VersionVector, versionVector } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLive, leaseFloor } from "../src/_internals/lease-floor.ts";
import { hex, settle } from "./fixtures.ts";
import { LEASE_MS, type LeaseClient, leaseWorld } from "./lease-world.ts";

const R = ["00000000000000a1", "00000000000000b2", "00000000000000c3"] as const;

describe("a client offline beyond its lease", () => {
  it("gets a reset on return: nothing resurrected, all its offline writes kept, every replica byte-identical", async () => {
    const w = await leaseWorld(["a", "c"]);
    const [a, c] = w.clients as [LeaseClient, LeaseClient];
    w.online(a);
    w.online(c);
    a.map.set("title:1", "first");
    a.map.set("gone", "x");
    a.map.increment("stock:1", 5);
    await w.quiesce();
    expect(c.map.get("gone")).toBe("x");

    await w.offline(c);
    a.map.delete("gone");
    a.map.delete("stock:1");
    await w.quiesce();
    w.fake.advance(LEASE_MS + 1);
    a.map.set("title:2", "second"); // this commit folds the log: compaction without C's lease
    await w.quiesce();
    const peers = await w.storedPeers();
    expect(peers.has(c.map.id)).toBe(false); // C's lease expired and was removed
    const floor = peers.get("~floor")?.vector as VersionVector;
    expect(floor.get(a.map.id)).toBe(a.map.versionVector().get(a.map.id));

    // Offline, C deletes what it saw, writes, and counts on the key A deleted meanwhile.
    c.map.delete("title:1");
    c.map.set("mine", "offline");
    c.map.increment("stock:1", 2);
    w.online(c);
    await w.quiesce();

    expect(c.resets).toHaveLength(1);
    expect(c.resets[0]?.get(a.map.id)).toBe(floor.get(a.map.id));
    const doc = await w.host.document("shop");
    // The oracle: what the operations say, on the host and on every replica.
    for (const m of [doc, a.map, c.map]) {
      expect(m.get("gone")).toBeUndefined();
      expect(m.get("title:1")).toBeUndefined();
      expect(m.get("title:2")).toBe("second");
      expect(m.get("mine")).toBe("offline");
      expect(m.get("stock:1")).toBe(2);
    }
    expect(hex(c.map.encodeState())).toBe(hex(doc.encodeState()));
    expect(hex(a.map.encodeState())).toBe(hex(doc.encodeState()));
    expect(c.session?.outboxSize()).toBe(0);
    expect(a.resets).toEqual([]);
    // C's store was rewritten: a snapshot of the new state, nothing left in the outbox.
    const stored = await c.records.load();
    expect(stored.outbox).toEqual([]);
    expect(stored.snapshot).toBeDefined();
    for (const cl of w.clients) await w.offline(cl);
    await w.host.close();
  });

  it("a connected client's lease is kept fresh: it never expires and never gets a reset", async () => {
    const w = await leaseWorld(["a", "c", "d"]);
    const [a, c, d] = w.clients as [LeaseClient, LeaseClient, LeaseClient];
    w.online(a);
    w.online(c);
    w.online(d);
    a.map.set("title:0", 0);
    await w.quiesce();
    await w.offline(d);
    for (let i = 1; i <= 5; i++) {
      w.fake.advance(LEASE_MS / 2);
      a.map.set(`title:${i}`, i); // compaction at every commit; C only listens
      await w.quiesce();
      const peers = await w.storedPeers();
      const lease = peers.get(c.map.id);
      expect(lease, `round ${i}`).toBeDefined();
      expect(
        isLive({ vector: versionVector(), seenAt: lease?.seenAt ?? 0 }, w.fake.timers.now(), LEASE_MS),
      ).toBe(true);
      // D left: its lease lives one lease long, then is removed.
      expect(peers.has(d.map.id), `round ${i}`).toBe(i < 2);
    }
    await w.offline(c);
    w.online(c);
    w.online(d);
    await w.quiesce();
    expect(c.resets).toEqual([]);
    expect(d.resets).toHaveLength(1); // D's lease had expired
    const doc = await w.host.document("shop");
    for (const cl of w.clients) expect(hex(cl.map.encodeState())).toBe(hex(doc.encodeState()));
    for (const cl of w.clients) await w.offline(cl);
    await w.host.close();
  });
});

describe("leases in the host's store", () => {
  it("acks add no store write: lease refreshes ride along with the commits the writes make", async () => {
    const w = await leaseWorld(["a", "c"]);
    const [a, c] = w.clients as [LeaseClient, LeaseClient];
    w.online(a);
    w.online(c);
    await w.quiesce();
    // The clients' catch-up deltas (empty here) are merged and committed before the count starts.
    await settle(10);
    const before = w.batches.length;
    for (let i = 0; i < 20; i++) {
      a.map.set(`title:${i}`, i);
      await w.quiesce();
    }
    const during = w.batches.slice(before);
    // One commit per write (each merged payload), none for an ack or a lease alone.
    expect(during.length).toBe(20);
    for (const b of during) expect(b.snapshot ?? b.append, JSON.stringify(Object.keys(b))).toBeDefined();
    // ...and the leases did move: A's record holds its last acknowledged write.
    const peers = await w.storedPeers();
    expect(peers.get(a.map.id)?.vector.get(a.map.id)).toBeGreaterThanOrEqual(19);
    for (const cl of w.clients) await w.offline(cl);
    await w.host.close();
  });

  it("leases and the floor are loaded back with the document after a host restart", async () => {
    const w = await leaseWorld(["a", "b", "c"]);
    const [a, b, c] = w.clients as [LeaseClient, LeaseClient, LeaseClient];
    for (const cl of w.clients) w.online(cl);
    a.map.set("gone", "x");
    await w.quiesce();
    await w.offline(c);
    a.map.delete("gone");
    await w.quiesce();
    w.fake.advance(LEASE_MS + 1);
    a.map.set("title", "after");
    await w.quiesce();
    await w.offline(a);
    await w.offline(b);
    await w.restart();
    // B's lease is live and covers the floor: a plain catch-up. C's expired: a reset.
    for (const cl of [a, b, c]) w.online(cl);
    await w.quiesce();
    expect(a.resets).toEqual([]);
    expect(b.resets).toEqual([]);
    expect(c.resets).toHaveLength(1);
    const doc = await w.host.document("shop");
    for (const m of [doc, a.map, b.map, c.map]) {
      expect(m.get("gone")).toBeUndefined();
      expect(m.get("title")).toBe("after");
      expect(hex(m.encodeState())).toBe(hex(doc.encodeState()));
    }
    for (const cl of w.clients) await w.offline(cl);
    await w.host.close();
  });
});

describe("regressions", () => {
  it("a hello during a compaction: the catch-up is computed against the state the reset decision saw (seed 390085556)", async () => {
    // Shrunk by the property below: the lease counted the returning client before its catch-up
    // was computed, so a compaction in between collected a delete the catch-up then lacked.
    const w = await leaseWorld(["a", "b", "c"]);
    const [a, b] = w.clients as [LeaseClient, LeaseClient, LeaseClient];
    for (const cl of w.clients) w.online(cl);
    b.map.set("title:b:2", 1);
    await w.quiesce();
    await w.offline(a);
    b.map.delete("title:b:2");
    await w.quiesce();
    b.map.set("title:b:0", 2);
    w.fake.advance(3333);
    w.online(a);
    await w.quiesce();
    const doc = await w.host.document("shop");
    for (const m of [doc, ...w.clients.map((cl) => cl.map)]) {
      expect(m.get("title:b:2")).toBeUndefined();
      expect(m.get("title:b:0")).toBe(2);
      expect(hex(m.encodeState())).toBe(hex(doc.encodeState()));
    }
    for (const cl of w.clients) await w.offline(cl);
    await w.host.close();
  });
});

describe("the compaction floor", () => {
  const { numRuns } = runConfig({ log: () => {} }, 200);
  const vector = fc
    .tuple(fc.nat(6), fc.nat(6), fc.nat(6))
    .map((seqs) =>
      versionVector(R.flatMap((r, i) => ((seqs[i] as number) > 0 ? [[r, seqs[i] as number] as const] : []))),
    );
  it("is the pointwise minimum of the live leases and the extra vectors (against a model)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ vector, seenAt: fc.integer({ min: 0, max: 100 }) }), { maxLength: 5 }),
        fc.array(vector, { maxLength: 2 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 1, max: 60 }),
        (leases, extra, now, leaseMs) => {
          const got = leaseFloor(leases, now, leaseMs, extra);
          const counted = [...leases.filter((l) => now - l.seenAt < leaseMs).map((l) => l.vector), ...extra];
          if (counted.length === 0) {
            expect(got).toBeUndefined();
            return;
          }
          for (const r of R) expect(got?.get(r), r).toBe(Math.min(...counted.map((v) => v.get(r))));
        },
      ),
      { numRuns },
    );
  });
});

type Command =
  | { readonly kind: "write"; readonly client: number; readonly n: number }
  | { readonly kind: "delete"; readonly client: number; readonly n: number }
  | { readonly kind: "inc"; readonly client: number; readonly amount: number }
  | { readonly kind: "offline" | "online"; readonly client: number }
  | { readonly kind: "time"; readonly ms: number }
  | { readonly kind: "sync" };

describe("compaction under leases never loses a write nor brings one back", () => {
  const { numRuns } = runConfig({ log: () => {} }, 40);
  const client = fc.nat(2);
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("write" as const), client, n: fc.nat(3) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), client, n: fc.nat(3) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("inc" as const),
        client,
        amount: fc.integer({ min: 1, max: 9 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constantFrom("offline" as const, "online" as const), client }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("time" as const),
        ms: fc.constantFrom(Math.round(LEASE_MS / 3), LEASE_MS + 1),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("sync" as const) }) },
  );
  const seen = { resets: 0, deletes: 0 };
  it("every replica reads what the operations say and matches the host byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40, size: "max" }), async (commands) => {
        const w = await leaseWorld(["a", "b", "c"]);
        for (const cl of w.clients) w.online(cl);
        // The oracle: each client's own keys (only their author writes or deletes them), one counter.
        const present = new Map<string, number>();
        let total = 0;
        let version = 0;
        for (const cmd of commands) {
          const cl = "client" in cmd ? (w.clients[cmd.client] as LeaseClient) : undefined;
          switch (cmd.kind) {
            case "write":
              version++;
              cl?.map.set(`title:${cl.name}:${cmd.n}`, version);
              present.set(`title:${cl?.name}:${cmd.n}`, version);
              break;
            case "delete":
              if (cl?.map.delete(`title:${cl.name}:${cmd.n}`)) seen.deletes++;
              present.delete(`title:${cl?.name}:${cmd.n}`);
              break;
            case "inc":
              cl?.map.increment("stock:all", cmd.amount);
              total += cmd.amount;
              break;
            case "offline":
              if (cl !== undefined) await w.offline(cl);
              break;
            case "online":
              if (cl !== undefined) w.online(cl);
              break;
            case "time":
              w.fake.advance(cmd.ms);
              break;
            case "sync":
              await w.quiesce();
              break;
          }
        }
        for (const cl of w.clients) w.online(cl);
        await w.quiesce();
        const doc = await w.host.document("shop");
        for (const m of [doc, ...w.clients.map((cl) => cl.map)]) {
          const titles = [...m.keys()].filter((k) => k.startsWith("title:"));
          expect(titles.sort()).toEqual([...present.keys()].sort());
          for (const [k, v] of present) expect(m.get(k), k).toBe(v);
          expect(m.get("stock:all") ?? 0).toBe(total);
        }
        for (const cl of w.clients) expect(hex(cl.map.encodeState())).toBe(hex(doc.encodeState()));
        for (const cl of w.clients) {
          seen.resets += cl.resets.length;
          expect(cl.session?.outboxSize()).toBe(0);
          await w.offline(cl);
        }
        await w.host.close();
      }),
      { numRuns },
    );
    console.log(`[leases property] exercised ${JSON.stringify(seen)}`);
    expect(seen.resets).toBeGreaterThan(0);
  }, 120_000);
});
