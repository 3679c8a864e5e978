import { createReplicatedMap, isConvergeError, versionVector } from "@converge/core";
import { FORMAT_VERSION } from "@converge/core/codec";
import type { ConvergeError } from "@converge/hlc";
import { describe, expect, it } from "vitest";
import {
  type Access,
  type CloseInfo,
  connect,
  decodeFrames,
  encodeMessage,
  type Message,
  memoryTransportPair,
  openDocument,
  PROTOCOL_VERSION,
  SyncError,
  type SyncSession,
} from "../src/index.ts";
import { fakeTimers } from "../src/testing/index.ts";
import { dialTo, newMap, otherRules, rules, settle, testHost } from "./fixtures.ts";

const tokens: Record<string, { user: string; access: Access }> = {
  good: { user: "ada", access: { mode: "write" } },
  reader: { user: "rob", access: { mode: "read" } },
  todo: { user: "tim", access: { mode: "write", keys: ["todo:*", "title"] } },
  nobody: { user: "nil", access: { mode: "none" } },
};

const authHost = () =>
  testHost({
    authenticate: (credentials) => {
      const t = credentials === null ? undefined : tokens[credentials];
      if (t === undefined) throw new SyncError("UNAUTHORIZED", "unknown or expired token");
      return t;
    },
    authorize: (principal) => (principal as { access: Access }).access,
  });

const errorsOf = (s: SyncSession): ConvergeError[] => {
  const out: ConvergeError[] = [];
  s.on("error", (e) => out.push(e));
  return out;
};

describe("handshake refusals", () => {
  it("no credentials and a wrong token are UNAUTHORIZED, final with fixed credentials", async () => {
    const host = authHost();
    for (const credentials of [undefined, "forged"]) {
      const s = connect(newMap(), {
        document: "shop",
        dial: dialTo(host),
        ...(credentials ? { credentials } : {}),
      });
      const errors = errorsOf(s);
      await expect(s.whenSynced()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      expect(s.status()).toBe("closed");
      expect(errors.map((e) => e.code)).toEqual(["UNAUTHORIZED"]);
    }
    expect(host.stats().connections).toBe(0);
  });

  it("an expired token is refused, then a credentials function's fresh token gets in on reconnect", async () => {
    const host = authHost();
    const fake = fakeTimers();
    const issued = ["expired", "good"];
    let calls = 0;
    const s = connect(newMap(), {
      document: "shop",
      dial: dialTo(host),
      credentials: async () => issued[Math.min(calls++, 1)] as string,
      timers: fake.timers,
      random: () => 0.5,
    });
    const errors = errorsOf(s);
    const statuses: string[] = [];
    s.on("status", (st) => statuses.push(st));
    await settle();
    expect(errors.map((e) => e.code)).toEqual(["UNAUTHORIZED"]);
    expect(s.status()).toBe("offline");
    expect(fake.next()).toBe(true); // the backoff timer: a second attempt
    await settle();
    expect(calls).toBe(2);
    expect(s.status()).toBe("synced");
    expect(statuses).toEqual(["offline", "connecting", "syncing", "synced"]);
    await s.close();
  });

  it("FORBIDDEN for mode none and UNKNOWN_DOCUMENT end the session", async () => {
    const host = authHost();
    const a = connect(newMap(), { document: "shop", dial: dialTo(host), credentials: "nobody" });
    await expect(a.whenSynced()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const b = connect(newMap(), { document: "nope", dial: dialTo(host), credentials: "good" });
    await expect(b.whenSynced()).rejects.toMatchObject({ code: "UNKNOWN_DOCUMENT" });
  });

  it("CONFIG_MISMATCH names both fingerprints and ends the session; nothing is merged", async () => {
    const host = testHost();
    const map = createReplicatedMap({ resolvers: otherRules });
    map.increment("title", 5);
    const s = connect(map, { document: "shop", dial: dialTo(host) });
    const errors = errorsOf(s);
    await expect(s.whenSynced()).rejects.toMatchObject({ code: "CONFIG_MISMATCH" });
    const doc = await host.document("shop");
    const e = errors[0];
    expect(e !== undefined && isConvergeError(e, "CONFIG_MISMATCH")).toBe(true);
    if (e !== undefined && isConvergeError(e, "CONFIG_MISMATCH")) {
      expect(e.expected).toBe(doc.fingerprint);
      expect(e.received).toBe(map.fingerprint);
      expect(e.message).toContain(doc.fingerprint);
      expect(e.message).toContain(map.fingerprint);
    }
    expect(doc.size).toBe(0);
  });

  it("another protocol version is refused with UPGRADE_REQUIRED and close code 4426", async () => {
    const host = testHost();
    const [client, server] = memoryTransportPair();
    host.accept(server);
    const got: Message[] = [];
    let closed: CloseInfo | undefined;
    client.onFrame((f) => got.push(...decodeFrames(f)));
    client.onClose((i) => {
      closed = i;
    });
    const hello = (protocol: number, format: number): Uint8Array =>
      encodeMessage({
        type: "hello",
        protocol,
        format,
        document: "shop",
        replica: newMap().id,
        fingerprint: null,
        vector: versionVector(),
        credentials: null,
      });
    client.send(hello(PROTOCOL_VERSION + 1, FORMAT_VERSION));
    await settle();
    expect(got.map((m) => (m.type === "refuse" ? m.code : m.type))).toEqual(["UPGRADE_REQUIRED"]);
    expect(closed?.code).toBe(4426);
    const [c2, s2] = memoryTransportPair();
    host.accept(s2);
    const got2: Message[] = [];
    c2.onFrame((f) => got2.push(...decodeFrames(f)));
    c2.send(hello(PROTOCOL_VERSION, FORMAT_VERSION + 1));
    await settle();
    expect(got2.map((m) => (m.type === "refuse" ? m.code : m.type))).toEqual(["FORMAT_VERSION"]);
  });

  it("openDocument joins knowing only the name: the manifest builds the rules", async () => {
    const manifest = { fingerprint: newMap().fingerprint, rules: { default: "lww" }, scripts: {} };
    const host = testHost({ documents: (n) => (n === "shop" ? { rules, manifest } : undefined) });
    const writer = newMap();
    writer.set("title", "hello");
    const w = connect(writer, { document: "shop", dial: dialTo(host) });
    await w.whenSynced();
    const seen: unknown[] = [];
    const s = await openDocument({
      document: "shop",
      dial: dialTo(host),
      rules: (m) => {
        seen.push(m.rules);
        return rules;
      },
    });
    await s.whenSynced();
    expect(seen).toEqual([{ default: "lww" }]);
    expect(s.map.get("title")).toBe("hello");
    expect(s.map.fingerprint).toBe(manifest.fingerprint);
    // Rules that do not match the manifest's fingerprint are refused, final.
    await expect(
      openDocument({ document: "shop", dial: dialTo(host), rules: () => otherRules }),
    ).rejects.toMatchObject({
      code: "CONFIG_MISMATCH",
    });
    await s.close();
    await w.close();
  });
});

describe("write refusals", () => {
  it("a read-only principal receives data; its writes are refused with FORBIDDEN, not merged, not relayed", async () => {
    const host = authHost();
    const writer = newMap();
    writer.set("title", "by ada");
    const w = connect(writer, { document: "shop", dial: dialTo(host), credentials: "good" });
    await w.whenSynced();
    const readerMap = newMap();
    const r = connect(readerMap, { document: "shop", dial: dialTo(host), credentials: "reader" });
    const errors = errorsOf(r);
    await r.whenSynced();
    expect(readerMap.get("title")).toBe("by ada");
    expect(r.access()).toEqual({ mode: "read" });
    // Its access is read: the session does not even stream; a forced send is refused by the host.
    readerMap.set("title", "by rob");
    await settle();
    const [client, server] = memoryTransportPair();
    host.accept(server);
    const got: Message[] = [];
    client.onFrame((f) => got.push(...decodeFrames(f)));
    client.send(
      encodeMessage({
        type: "hello",
        protocol: PROTOCOL_VERSION,
        format: FORMAT_VERSION,
        document: "shop",
        replica: readerMap.id,
        fingerprint: readerMap.fingerprint,
        vector: versionVector(),
        credentials: "reader",
      }),
    );
    client.send(encodeMessage({ type: "payload", payload: readerMap.encodeState() }));
    await settle();
    const reject = got.find((m) => m.type === "reject");
    expect(reject).toMatchObject({ type: "reject", code: "FORBIDDEN" });
    expect((await host.document("shop")).get("title")).toBe("by ada");
    expect(writer.get("title")).toBe("by ada");
    expect(errors).toEqual([]);
    await w.close();
    await r.close();
  });

  it("a forbidden key inside an otherwise allowed batch refuses the whole frame, with a typed error naming the key", async () => {
    const host = authHost();
    const map = newMap();
    const s = connect(map, { document: "shop", dial: dialTo(host), credentials: "todo" });
    const errors = errorsOf(s);
    await s.whenSynced();
    map.set("todo:1", "milk");
    await settle();
    map.batch(() => {
      map.set("todo:2", "eggs");
      map.set("price:apple", 1);
    });
    await settle();
    const doc = await host.document("shop");
    expect(doc.get("todo:1")).toBe("milk");
    expect(doc.has("todo:2")).toBe(false);
    expect(doc.has("price:apple")).toBe(false);
    expect(errors).toHaveLength(1);
    const e = errors[0] as SyncError;
    expect(e.code).toBe("FORBIDDEN");
    expect(e.keys).toEqual(["price:apple"]);
    expect(s.outboxSize()).toBe(1); // the refused batch stays unacknowledged
    await s.close();
  });
});
