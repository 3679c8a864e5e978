import { runConfig } from "@converge/core/testing";
import { describe, expect, it } from "vitest";
import { decodeHubMessage, encodeHubMessage } from "../src/_internals/hub-codec.ts";
import { connect, crc32, createSyncHost, memoryHubNetwork } from "../src/index.ts";
import { prng } from "../src/testing/index.ts";
import { dialTo, hex, newMap, rules, settle } from "./fixtures.ts";

describe("hub messages", () => {
  it("round-trip, and refuse short, unknown-version, unknown-tag and trailing-byte messages with FRAME_MALFORMED", () => {
    const map = newMap();
    map.set("a", 1);
    const fingerprint = map.fingerprint;
    for (const m of [
      { type: "payload", fingerprint, payload: map.encodeState() },
      { type: "delta", fingerprint, payload: map.encodeDelta(newMap().versionVector()) },
      { type: "digest", fingerprint, vector: map.versionVector() },
      { type: "request", fingerprint, vector: map.versionVector() },
      {
        type: "payloads",
        fingerprint,
        payloads: [map.encodeState(), map.encodeDelta(newMap().versionVector())],
      },
    ] as const) {
      const bytes = encodeHubMessage(m);
      const back = decodeHubMessage(bytes);
      expect(back.type).toBe(m.type);
      expect(back.fingerprint).toBe(fingerprint);
      expect(hex(encodeHubMessage(back))).toBe(hex(bytes));
    }
    const digest = encodeHubMessage({ type: "digest", fingerprint, vector: map.versionVector() });
    /** A payload-list message of these body bytes, with their correct checksum. */
    const list = (body: readonly number[]): Uint8Array => {
      const sum = new Uint8Array(4);
      new DataView(sum.buffer).setUint32(0, crc32(Uint8Array.from(body)), true);
      return Uint8Array.from([1, 5, ...digest.subarray(2, 10), ...body, ...sum]);
    };
    const bad = [
      new Uint8Array(0),
      digest.subarray(0, 9),
      Uint8Array.from([2, ...digest.subarray(1)]),
      Uint8Array.from([1, 9, ...digest.subarray(2)]),
      Uint8Array.from([...digest, 0]),
      digest.subarray(0, digest.length - 1),
      encodeHubMessage({ type: "payload", fingerprint, payload: new Uint8Array(1) }).subarray(0, 10),
      // Payload lists: one payload, an empty one, cut short, trailing bytes, a wrong checksum.
      list([1, 1, 7]),
      list([2, 1, 7, 0]),
      list([2, 1, 7, 2, 7]),
      list([2, 1, 7, 1, 7, 9]),
      Uint8Array.from([...list([2, 1, 7, 1, 8]).subarray(0, 15), 0, 0, 0, 0]),
    ];
    for (const b of bad) {
      let code = "";
      try {
        decodeHubMessage(b);
      } catch (e) {
        code = (e as { code?: string }).code ?? String(e);
      }
      expect(code, hex(b)).toBe("FRAME_MALFORMED");
    }
  });
});

describe("a host under fuzzed hub messages", () => {
  it("leaves its state unchanged and keeps serving through 2,000 × CONVERGE_RUNS_SCALE hostile messages", async () => {
    const { seed, numRuns } = runConfig({}, 100);
    console.log(`[hub fuzz] seed ${seed}; replay with CONVERGE_SEED=${seed}`);
    const random = prng(seed);
    const net = memoryHubNetwork();
    const counts = new Map<string, number>();
    const host = createSyncHost({
      documents: (name) => (name === "shop" ? { rules } : undefined),
      hub: net.member(),
      hubDigestMs: 0,
      metrics: {
        count: (name, value) => counts.set(name, (counts.get(name) ?? 0) + value),
        gauge: () => {},
        observe: () => {},
      },
    });
    const errors = new Map<string, number>();
    host.onError((e) => errors.set(e.code, (errors.get(e.code) ?? 0) + 1));
    const a = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    a.set("title", "start");
    a.increment("stock:apple", 2);
    await sa.whenSynced();
    await settle();
    const doc = await host.document("shop");
    const before = hex(doc.encodeState());

    // What a rogue member would send if it were honest: content this host does not have.
    const other = newMap();
    other.set("title", "hostile");
    other.increment("stock:apple", 100);
    const fingerprint = doc.fingerprint;
    const templates = [
      encodeHubMessage({ type: "payload", fingerprint, payload: other.encodeState() }),
      encodeHubMessage({ type: "delta", fingerprint, payload: other.encodeDelta(doc.versionVector()) }),
      encodeHubMessage({
        type: "payload",
        fingerprint,
        payload: other.encodeDelta(newMap().versionVector()),
      }),
      encodeHubMessage({ type: "digest", fingerprint, vector: other.versionVector() }),
      encodeHubMessage({ type: "request", fingerprint, vector: other.versionVector() }),
      encodeHubMessage({
        type: "payloads",
        fingerprint,
        payloads: [other.encodeState(), other.encodeDelta(doc.versionVector())],
      }),
    ];
    /** One mutation of a template (never the template itself), or random bytes. */
    const fuzzed = (): Uint8Array => {
      if (random.chance(0.2)) {
        const out = new Uint8Array(random.int(64));
        for (let i = 0; i < out.length; i++) out[i] = random.int(256);
        if (out.length > 1 && random.chance(0.5)) out[0] = 1;
        return out;
      }
      const t = templates[random.int(templates.length)] as Uint8Array;
      const out = t.slice();
      switch (random.int(3)) {
        case 0: {
          const bit = random.int(out.length * 8);
          out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
          return out;
        }
        case 1:
          return out.subarray(0, random.int(out.length));
        default:
          return Uint8Array.from([...out, random.int(256)]);
      }
    };
    // Mutants of digests and requests may still be valid ones (they change nothing here); the
    // content-carrying mutants must all be refused.
    const rogue = net.member();
    const channel = await rogue.join("shop", { onMessage: () => {}, onGap: () => {} });
    const total = 20 * numRuns;
    for (let i = 0; i < total; i++) {
      await channel.publish(fuzzed());
      if (i % 50 === 0) await settle(2);
    }
    await settle(10);
    expect(hex(doc.encodeState())).toBe(before);
    expect(counts.get("hub_messages_in")).toBe(total);
    expect((counts.get("hub_malformed") ?? 0) + (counts.get("refusals") ?? 0)).toBeGreaterThan(total / 2);
    expect(errors.get("FRAME_MALFORMED") ?? 0).toBeGreaterThan(0);

    // Still serving: its client writes and is acknowledged, and an honest peer still hears it.
    const peer = createSyncHost({
      documents: (name) => (name === "shop" ? { rules } : undefined),
      hub: net.member(),
      hubDigestMs: 0,
    });
    const peerDoc = await peer.document("shop");
    await settle();
    a.set("title", "after the fuzz");
    await settle();
    expect(sa.outboxSize()).toBe(0);
    expect(doc.get("title")).toBe("after the fuzz");
    expect(hex(peerDoc.encodeState())).toBe(hex(doc.encodeState()));
    await sa.close();
    await host.close();
    await peer.close();
  }, 60_000);
});
