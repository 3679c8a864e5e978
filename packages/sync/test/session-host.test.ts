import { describe, expect, it } from "vitest";
import { connect } from "../src/index.ts";
import { dialTo, hex, newMap, settle, testHost } from "./fixtures.ts";

describe("connect + createSyncHost", () => {
  it("two clients converge through the host, byte-identical with it, and outboxes empty", async () => {
    const host = testHost();
    const a = newMap();
    const b = newMap();
    a.set("title", "shop");
    a.increment("stock:apple", 3);
    const sa = connect(a, { document: "shop", dial: dialTo(host) });
    const sb = connect(b, { document: "shop", dial: dialTo(host) });
    b.increment("stock:apple", 2);
    await sa.whenSynced();
    await sb.whenSynced();
    await settle();
    a.set("price:apple", 120);
    b.batch(() => {
      b.set("tags:apple", "red");
      b.decrement("stock:apple", 1);
    });
    await settle();
    const doc = await host.document("shop");
    expect(a.get("stock:apple")).toBe(4);
    expect(b.get("price:apple")).toBe(120);
    expect(a.get("tags:apple")).toEqual(["red"]);
    expect(hex(a.encodeState())).toBe(hex(doc.encodeState()));
    expect(hex(b.encodeState())).toBe(hex(doc.encodeState()));
    expect(sa.outboxSize()).toBe(0);
    expect(sb.outboxSize()).toBe(0);
    expect(sa.status()).toBe("synced");
    await sa.close();
    await sb.close();
    expect(sa.status()).toBe("closed");
    await host.close();
  });
});
