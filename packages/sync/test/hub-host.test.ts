import { isConvergeError } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import { loadHostDocument } from "../src/_internals/host-document.ts";
import type { Conn, MergeContext } from "../src/_internals/host-merge.ts";
import { hubLinks } from "../src/_internals/hub-links.ts";
import type { Lease } from "../src/_internals/lease-floor.ts";
import { HOST_PEER_PREFIX } from "../src/_internals/lease-table.ts";
import {
  connect,
  createSyncHost,
  decodeFrames,
  type HostOptions,
  type Hub,
  type HubChannel,
  type MetricsSink,
  memoryHubNetwork,
  memoryStore,
  memoryTransportPair,
  type Store,
  SyncError,
  type SyncHost,
  type Transport,
} from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, hex, newMap, otherRules, rules, settle } from "./fixtures.ts";

/** A metrics sink that keeps counter sums and the last gauge values. */
function sink(): MetricsSink & {
  readonly n: (name: string) => number;
  readonly g: (name: string) => number | undefined;
} {
  const sums = new Map<string, number>();
  const gauges = new Map<string, number>();
  return {
    count: (name, value) => sums.set(name, (sums.get(name) ?? 0) + value),
    gauge: (name, value) => gauges.set(name, value),
    observe: () => {},
    n: (name) => sums.get(name) ?? 0,
    g: (name) => gauges.get(name),
  };
}

/** A hub member whose messages pass through `tap` (return false to drop one silently). */
function tapped(
  hub: Hub,
  tap: (kind: "publish" | "sendTo", bytes: Uint8Array) => boolean,
): Hub & { leaves: number } {
  const out = {
    ...hub,
    leaves: 0,
    join: async (doc: string, handlers: Parameters<Hub["join"]>[1]): Promise<HubChannel> => {
      const ch = await hub.join(doc, handlers);
      return {
        publish: async (b) => (tap("publish", b) ? ch.publish(b) : undefined),
        sendTo: async (to, b) => (tap("sendTo", b) ? ch.sendTo(to, b) : undefined),
        leave: async () => {
          out.leaves++;
          await ch.leave();
        },
      };
    },
  };
  return out;
}

const hubHost = (hub: Hub, extra: Partial<HostOptions> = {}): SyncHost =>
  createSyncHost({
    documents: (name) => (name === "shop" ? { rules } : undefined),
    hub,
    hubDigestMs: 0,
    ...extra,
  });

/** A client map on each of two hosts, both sessions synced and settled. */
async function clientsOf(a: SyncHost, b: SyncHost) {
  const ca = newMap();
  const cb = newMap();
  const sa = connect(ca, { document: "shop", dial: dialTo(a) });
  const sb = connect(cb, { document: "shop", dial: dialTo(b) });
  await sa.whenSynced();
  await sb.whenSynced();
  await settle();
  return { ca, cb, sa, sb };
}

/** Polls `done` every 10 ms for at most `ms` (the caller asserts afterwards). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** Hub message tags (docs/PROTOCOL.md): 1 payload, 2 digest, 3 request, 4 delta. */
const tagOf = (bytes: Uint8Array): number => bytes[1] ?? -1;

describe("a host on a hub", () => {
  it("relays a client's write to a client of another host through a published payload", async () => {
    const net = memoryHubNetwork();
    const ma = sink();
    const a = hubHost(net.member(), { metrics: ma });
    const b = hubHost(net.member());
    const { ca, cb, sa, sb } = await clientsOf(a, b);
    ca.set("title", "from a");
    ca.increment("stock:x", 4);
    await settle();
    expect(cb.get("title")).toBe("from a");
    expect(cb.get("stock:x")).toBe(4);
    expect(hex((await b.document("shop")).encodeState())).toBe(hex(ca.encodeState()));
    expect(ma.n("hub_messages_out")).toBeGreaterThanOrEqual(2);
    expect(ma.g("hub_up")).toBe(1);
    await sa.close();
    await sb.close();
    await a.close();
    await b.close();
  });

  it("publishes a client payload only after it is committed and acknowledged", async () => {
    const events: string[] = [];
    const store = memoryStore();
    const watched: Store = {
      ...store,
      open: async (name) => {
        const doc = await store.open(name);
        return {
          ...doc,
          commit: async (batch) => {
            await doc.commit(batch);
            if ((batch.append?.length ?? 0) > 0 || batch.snapshot !== undefined) events.push("commit");
          },
        };
      },
    };
    const net = memoryHubNetwork();
    const hub = tapped(net.member(), (_k, b) => {
      if (tagOf(b) === 1) events.push("publish");
      return true;
    });
    const a = hubHost(hub, { store: watched });
    hubHost(net.member());
    const map = newMap();
    const session = connect(map, {
      document: "shop",
      dial: async () => {
        const [client, server] = memoryTransportPair();
        const spy: Transport = {
          ...server,
          send: (frame) => {
            // An ack goes alone or in a batch with the turn's relay.
            if (decodeFrames(frame).some((m) => m.type === "ack")) events.push("ack");
            server.send(frame);
          },
        };
        a.accept(spy);
        return client;
      },
    });
    await session.whenSynced();
    await settle();
    events.length = 0;
    map.set("title", "t");
    await settle();
    expect(events).toEqual(["commit", "ack", "publish"]);
    await session.close();
    await a.close();
  });

  it("keeps acknowledging while the hub is down, says so, and catches up when it is back", async () => {
    const fake = fakeTimers(1000);
    const net = memoryHubNetwork();
    const ma = sink();
    const mb = sink();
    const a = hubHost(net.member(), { metrics: ma, timers: fake.timers });
    const b = hubHost(net.member(), { metrics: mb, timers: fake.timers });
    const status: boolean[] = [];
    a.onHubStatus((up) => status.push(up));
    const ca = newMap();
    const sa = connect(ca, { document: "shop", dial: dialTo(a), timers: fake.timers });
    const docB = await b.document("shop");
    await sa.whenSynced();
    await settle();
    net.setDown(true);
    await settle();
    expect(status).toEqual([false]);
    expect(ma.g("hub_up")).toBe(0);
    const acks: number[] = [];
    sa.on("ack", (v) => acks.push(v.get(ca.id)));
    // Two turns, so two publishes (the payloads of one turn go out as one hub message).
    ca.set("title", "during the outage");
    await settle();
    ca.increment("stock:x", 2);
    await settle();
    // Acknowledged without any time passing: the hub's failure did not delay the write.
    expect(acks.at(-1)).toBe(ca.versionVector().get(ca.id));
    expect(sa.outboxSize()).toBe(0);
    expect(ma.n("hub_publish_failures")).toBeGreaterThanOrEqual(2);
    expect(docB.get("title")).toBeUndefined();
    net.setDown(false);
    await settle();
    expect(status).toEqual([false, true]);
    expect(ma.g("hub_up")).toBe(1);
    expect(docB.get("title")).toBe("during the outage");
    expect(docB.get("stock:x")).toBe(2);
    expect(mb.n("hub_catchups") + ma.n("hub_catchups")).toBeGreaterThanOrEqual(1);
    expect(hex(docB.encodeState())).toBe(hex(ca.encodeState()));
    await sa.close();
    await a.close();
    await b.close();
  });

  it("a publish refused while the hub is up is repaired by a digest at once, not the next interval", async () => {
    const net = memoryHubNetwork();
    const ma = sink();
    let refuse = 1; // Redis refuses the first payload publish (e.g. out of memory); the hub stays up
    const member = net.member();
    const hub: Hub = {
      ...member,
      join: async (doc, handlers) => {
        const ch = await member.join(doc, handlers);
        return {
          ...ch,
          publish: async (b) => {
            // What @converge/redis throws when Redis answers XADD with an error while it is up.
            if (tagOf(b) === 1 && refuse-- > 0) throw new SyncError("HUB_UNAVAILABLE", "XADD refused: OOM");
            return ch.publish(b);
          },
        };
      },
    };
    // No periodic digest at all (hubDigestMs 0): only the repair can bring the write across.
    const a = hubHost(hub, { metrics: ma });
    const b = hubHost(net.member());
    const { ca, cb, sa, sb } = await clientsOf(a, b);
    ca.set("title", "refused once");
    await settle();
    expect(ma.n("hub_publish_failures")).toBe(1);
    expect(ma.n("hub_repairs")).toBe(1);
    await until(() => cb.get("title") === "refused once", 2000);
    expect(cb.get("title")).toBe("refused once");
    expect(hex((await b.document("shop")).encodeState())).toBe(hex(ca.encodeState()));
    // A later write publishes normally and arms no repair.
    ca.set("title", "second");
    await settle();
    await until(() => cb.get("title") === "second", 2000);
    expect(cb.get("title")).toBe("second");
    expect(ma.n("hub_repairs")).toBe(1);
    await sa.close();
    await sb.close();
    await a.close();
    await b.close();
  });

  it("answers a published delta whose base it lacks with a request, and catches up from the delta", async () => {
    const net = memoryHubNetwork();
    let dropping = true;
    const seen: number[] = [];
    const hubA = tapped(net.member(), (_k, b) => {
      seen.push(tagOf(b));
      return !(dropping && tagOf(b) === 1);
    });
    const a = hubHost(hubA);
    const mb = sink();
    const b = hubHost(net.member(), { metrics: mb });
    const docB = await b.document("shop");
    const map = newMap();
    let link: Transport | undefined;
    const session = connect(map, {
      document: "shop",
      dial: async () => {
        const [client, server] = memoryTransportPair();
        a.accept(server);
        link = client;
        return client;
      },
      backoff: { initialMs: 1, maxMs: 2 },
    });
    await session.whenSynced();
    await settle();
    map.set("title", "lost on the hub");
    await settle();
    expect(docB.get("title")).toBeUndefined();
    dropping = false;
    link?.close(4000, "kicked");
    map.set("price", 7); // offline: travels in the catch-up delta, based on a's vector
    await session.whenSynced();
    await settle();
    expect(seen).toContain(4); // a answered b's request with a delta
    expect(docB.get("title")).toBe("lost on the hub");
    expect(docB.get("price")).toBe(7);
    expect(mb.n("hub_catchups")).toBe(1);
    await session.close();
    await a.close();
    await b.close();
  });

  it("a host that loads late catches up from its peers' digests", async () => {
    const net = memoryHubNetwork();
    const a = hubHost(net.member());
    const ca = newMap();
    const sa = connect(ca, { document: "shop", dial: dialTo(a) });
    ca.set("title", "early");
    ca.increment("stock:x", 3);
    await sa.whenSynced();
    await settle();
    const late = hubHost(net.member());
    const doc = await late.document("shop");
    await settle();
    expect(hex(doc.encodeState())).toBe(hex(ca.encodeState()));
    await sa.close();
    await a.close();
    await late.close();
  });

  it("close() leaves the channels and leaves the hub open", async () => {
    const net = memoryHubNetwork();
    const member = tapped(net.member(), () => true);
    const a = hubHost(member);
    await a.document("shop");
    await settle();
    await a.close();
    expect(member.leaves).toBe(1);
    expect(member.isUp()).toBe(true);
    const again = await member.join("shop", { onMessage: () => {}, onGap: () => {} });
    await again.leave();
  });

  it("refuses a peer on other rules with CONFIG_MISMATCH and merges nothing of it", async () => {
    const net = memoryHubNetwork();
    const a = hubHost(net.member());
    const errors: string[] = [];
    a.onError((e) => errors.push(e.code));
    const b = createSyncHost({ documents: () => ({ rules: otherRules }), hub: net.member(), hubDigestMs: 0 });
    const docA = await a.document("shop");
    const before = hex(docA.encodeState());
    const docB = await b.document("shop");
    docB.increment("stock:x", 1);
    await settle();
    await b.document("shop");
    await settle();
    expect(errors).toContain("CONFIG_MISMATCH");
    expect(hex(docA.encodeState())).toBe(before);
    await a.close();
    await b.close();
  });

  it("digests every hubDigestMs on the injected timers; a bad interval is INVALID_CONFIG", async () => {
    const fake = fakeTimers(0);
    const net = memoryHubNetwork();
    const digests: number[] = [];
    const a = hubHost(
      tapped(net.member(), (_k, b) => {
        if (tagOf(b) === 2) digests.push(fake.timers.now());
        return true;
      }),
      { timers: fake.timers, hubDigestMs: 1000 },
    );
    await a.document("shop");
    await settle();
    expect(digests).toEqual([0]);
    for (let i = 0; i < 3; i++) {
      fake.advance(1000);
      await settle();
    }
    expect(digests).toEqual([0, 1000, 2000, 3000]);
    await a.close();
    fake.advance(5000);
    await settle();
    expect(digests).toHaveLength(4);
    for (const bad of [-1, 1.5, Number.NaN]) {
      let code = "";
      try {
        hubHost(net.member(), { hubDigestMs: bad });
      } catch (e) {
        code = isConvergeError(e) ? e.code : String(e);
      }
      expect(code, String(bad)).toBe("INVALID_CONFIG");
    }
  });
});

describe("the hub links of a host document", () => {
  it("keep the last vector each member sent, with when (host clock)", async () => {
    const fake = fakeTimers(5000);
    const net = memoryHubNetwork();
    const doc = await loadHostDocument<Conn>(memoryStore(), "shop", { rules }, undefined, {
      now: fake.timers.now,
      leaseMs: 60_000,
      sent: () => undefined,
      compacted: () => {},
    });
    const ctx: MergeContext = {
      limits: { sendQueueBytes: 1 << 20 },
      timers: fake.timers,
      metrics: undefined,
      send: () => {},
      sendPayload: () => {},
      pendingBytes: () => 0,
      report: () => {},
      onChange: undefined,
      opRelay: undefined,
    };
    const links = hubLinks({
      hub: net.member(),
      digestMs: 0,
      timers: fake.timers,
      metrics: undefined,
      merge: ctx,
      report: () => {},
    });
    links.attach(doc);
    await settle();
    const peerHub = net.member();
    const peer = hubHost(peerHub);
    const peerDoc = await peer.document("shop");
    await settle();
    const member = (): Lease | undefined => doc.leases.leases().get(`${HOST_PEER_PREFIX}${peerHub.id}`);
    expect(member()?.seenAt).toBe(5000);
    expect(member()?.vector.size).toBe(0);
    peerDoc.increment("stock:x", 3);
    fake.advance(250);
    // A bounce of the hub: everyone digests again when it is back.
    net.setDown(true);
    net.setDown(false);
    await settle();
    const seen = member();
    expect(seen?.seenAt).toBe(5250);
    expect(seen?.vector.get(peerDoc.id)).toBe(1);
    const hosts = [...doc.leases.leases().keys()].filter((k) => k.startsWith(HOST_PEER_PREFIX));
    expect(hosts).toEqual([`${HOST_PEER_PREFIX}${peerHub.id}`]);
    await links.close();
    await peer.close();
  });
});
