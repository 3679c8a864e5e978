import { createReplicatedMap } from "@converge/core";
import { documentRules } from "@converge/rules";
import { connect, memoryHubNetwork } from "@converge/sync";
import { webSocketDialer } from "@converge/websocket";
import { describe, expect, it } from "vitest";
import { createServer } from "../src/index.ts";
import { until } from "./support/wait.ts";

const config = documentRules(
  { default: { resolver: "lww" }, keys: { "n:*": { resolver: "pncounter" } } },
  [],
);

describe("createServer with a hub", () => {
  it("relays between servers, reports the hub in /healthz and its metrics in /metrics", async () => {
    const net = memoryHubNetwork();
    const one = await createServer({ port: 0, documents: { a: config }, hub: net.member() });
    const two = await createServer({ port: 0, documents: { a: config }, hub: net.member() });
    const health = async (port: number): Promise<unknown> =>
      ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { hub: unknown }).hub;
    try {
      expect(await health(one.port)).toBe("up");
      const m1 = createReplicatedMap({ resolvers: config.rules });
      const m2 = createReplicatedMap({ resolvers: config.rules });
      const s1 = connect(m1, { document: "a", dial: webSocketDialer(one.url) });
      const s2 = connect(m2, { document: "a", dial: webSocketDialer(two.url) });
      await s1.whenSynced();
      await s2.whenSynced();
      m1.increment("n:x", 5);
      m1.set("title", "via the hub");
      await until(
        () => m2.get("n:x") === 5 && m2.get("title") === "via the hub",
        5000,
        () => "the write on server two's client",
      );
      net.setDown(true);
      expect(await health(one.port)).toBe("down");
      // Down: server one still acknowledges its client's write.
      m1.increment("n:x", 1);
      await until(
        () => s1.outboxSize() === 0,
        5000,
        () => "the ack during the outage",
      );
      const text = await (await fetch(`http://127.0.0.1:${one.port}/metrics`)).text();
      expect(text).toContain("converge_hub_up 0");
      expect(text).toMatch(/converge_hub_messages_out(_total)?\{[^}]*\} [1-9]/);
      expect(text).toMatch(/converge_hub_publish_failures(_total)?\{[^}]*\} [1-9]/);
      net.setDown(false);
      await until(
        () => m2.get("n:x") === 6,
        5000,
        () => "the catch-up after the outage",
      );
      expect(await health(two.port)).toBe("up");
      await s1.close();
      await s2.close();
    } finally {
      await one.close();
      await two.close();
    }
    const alone = await createServer({ port: 0, documents: { a: config } });
    try {
      expect(await health(alone.port)).toBe("none");
    } finally {
      await alone.close();
    }
  });
});
