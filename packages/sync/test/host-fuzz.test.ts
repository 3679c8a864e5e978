import { versionVector } from "@converge/core";
import { runConfig } from "@converge/core/testing";
import { describe, expect, it } from "vitest";
import {
  connect,
  encodeMessage,
  type MetricAttributes,
  memoryTransportPair,
  PROTOCOL_VERSION,
} from "../src/index.ts";
import { fakeTimers, prng } from "../src/testing/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";

describe("a live host under fuzzed frames", () => {
  it("stays up through 20,000 × CONVERGE_RUNS_SCALE fuzzed frames; the other clients keep syncing and the document is unchanged by them", async () => {
    // 20,000 frames per run (about 4 s); CONVERGE_RUNS_SCALE=5 sends the 100,000.
    const { seed, numRuns } = runConfig({}, 200);
    console.log(`[sync host fuzz] seed ${seed}; replay with CONVERGE_SEED=${seed}`);
    const random = prng(seed);
    const fake = fakeTimers();
    const refusals = new Map<string, number>();
    const attributes: MetricAttributes[] = [];
    const host = testHost({
      timers: fake.timers,
      limits: { framesPerSecond: 1e9, bytesPerSecond: 1e12, maxPendingHandshakes: 1e9 },
      metrics: {
        count: (name, value, attrs) => {
          if (attrs !== undefined) attributes.push(attrs);
          if (name === "refusals")
            refusals.set(attrs?.["code"] ?? "", (refusals.get(attrs?.["code"] ?? "") ?? 0) + value);
        },
        gauge: () => {},
        observe: () => {},
      },
    });
    const a = newMap();
    const b = newMap();
    const sa = connect(a, { document: "shop", dial: dialTo(host), timers: fake.timers });
    const sb = connect(b, { document: "shop", dial: dialTo(host), timers: fake.timers });
    a.set("title", "start");
    a.increment("stock:apple", 2);
    await settle();
    const doc = await host.document("shop");
    const helloFrame = encodeMessage({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      format: 2,
      document: "shop",
      replica: newMap().id,
      fingerprint: doc.fingerprint,
      vector: versionVector(),
      credentials: null,
    });
    const templates = [
      helloFrame,
      encodeMessage({ type: "payload", payload: a.encodeState() }),
      encodeMessage({ type: "chunk", id: 0, last: false, bytes: new Uint8Array([1, 2, 3]) }),
      encodeMessage({ type: "presence", client: "x", state: { at: 1 } }),
      encodeMessage({ type: "ping", nonce: 3 }),
    ];
    const fuzzed = (): Uint8Array => {
      if (random.chance(0.3)) {
        const out = new Uint8Array(random.int(40));
        for (let i = 0; i < out.length; i++) out[i] = random.int(256);
        return out;
      }
      const f = (templates[random.int(templates.length)] as Uint8Array).slice();
      const edits = 1 + random.int(3);
      for (let e = 0; e < edits; e++) {
        const at = random.int(f.length);
        f[at] = random.chance(0.5) ? (f[at] as number) ^ (1 << random.int(8)) : random.int(256);
      }
      return random.chance(0.2) ? f.subarray(0, random.int(f.length)) : f;
    };
    const before = hex(doc.encodeState());
    const TOTAL = numRuns * 100;
    let sent = 0;
    while (sent < TOTAL) {
      // A connection gets a few fuzzed frames, with or without a valid hello first.
      const [client, server] = memoryTransportPair({ delivery: "sync" });
      host.accept(server);
      if (random.chance(0.5)) client.send(helloFrame);
      for (let i = 0; i < 4 && sent < TOTAL && client.isOpen(); i++, sent++) client.send(fuzzed());
      client.close();
      if (sent % 5000 < 4) await settle(2);
    }
    await settle(5);
    expect(hex(doc.encodeState())).toBe(before);
    a.set("title", "after the storm");
    b.increment("stock:apple", 1);
    await settle();
    expect(b.get("title")).toBe("after the storm");
    expect(a.get("stock:apple")).toBe(3);
    expect(hex(a.encodeState())).toBe(hex(doc.encodeState()));
    expect(hex(b.encodeState())).toBe(hex(doc.encodeState()));
    expect(host.stats().connections).toBe(2);
    expect(refusals.get("FRAME_MALFORMED") ?? 0).toBeGreaterThan(1000);
    // Metric attributes are fixed, small sets: never a map key.
    for (const attrs of attributes)
      for (const k of Object.keys(attrs)) expect(["document", "code"]).toContain(k);
    await sa.close();
    await sb.close();
  }, 120_000);
});
