import { createReplicatedMap, type ReplicatedMap } from "@converge/core";
import { documentRules, rulesFromManifest, sha256Of } from "@converge/rules";
import {
  connect,
  createSyncHost,
  type Dialer,
  encodeMessage,
  memoryTransportPair,
  openDocument,
  type SyncHost,
  type Transport,
} from "@converge/sync";
import { describe, expect, it } from "vitest";
import { documentsFromRules } from "../src/index.ts";
import { sameBytes, until } from "./support/wait.ts";

const MAX = "export function merge(a, b) { return Math.max(a, b); }";

// v1: best prices are a max register; v2 moves them to a script and adds a counter rule.
const v1 = documentRules(
  { default: { resolver: "lww" }, keys: { "best:*": { resolver: "maxRegister" } } },
  [],
);
const v2 = documentRules(
  {
    default: { resolver: "lww" },
    keys: { "best:*": { resolver: "script", sha256: sha256Of(MAX) }, "n:*": { resolver: "pncounter" } },
  },
  [MAX],
);

/** A dial into `host` whose transport lets the test slip extra frames in. */
function dialInto(host: SyncHost, onTransport?: (t: Transport) => void): Dialer {
  return async () => {
    const [client, server] = memoryTransportPair();
    host.accept(server);
    onTransport?.(client);
    return client;
  };
}

describe("gray release: a new rule version, document by document", { timeout: 30_000 }, () => {
  it("replicas on the old and the new rules never merge each other's state", async () => {
    expect(v2.manifest.fingerprint).not.toBe(v1.manifest.fingerprint);
    // shop-eu moved to v2; every other shop stays on v1.
    const documents = documentsFromRules(
      new Map([
        ["v1", v1],
        ["v2", v2],
      ]),
      { "shop-eu": "v2", "shop-*": "v1" },
    );
    const host = createSyncHost({ documents });
    const hostErrors: { code: string; message: string; document: string | undefined }[] = [];
    host.onError((e, document) => hostErrors.push({ code: e.code, message: e.message, document }));
    const sessions: { close: () => Promise<void> }[] = [];
    try {
      // A v1 client keeps working on a v1 document.
      const fr = createReplicatedMap({ resolvers: rulesFromManifest(v1.manifest) });
      const frSession = connect(fr, { document: "shop-fr", dial: dialInto(host) });
      sessions.push(frSession);
      await frSession.whenSynced();
      fr.set("best:apple", 3);
      fr.set("title", "Paris");

      // A v1 client of the migrated document is refused, naming both fingerprints, and never syncs.
      const stale = createReplicatedMap({ resolvers: rulesFromManifest(v1.manifest) });
      stale.set("best:apple", 100);
      const staleStatuses: string[] = [];
      const staleSession = connect(stale, {
        document: "shop-eu",
        dial: dialInto(host),
        backoff: { initialMs: 60_000, maxMs: 60_000 },
      });
      sessions.push(staleSession);
      staleSession.on("status", (status) => staleStatuses.push(status));
      const staleErrors: { code: string; message: string }[] = [];
      staleSession.on("error", (e) => staleErrors.push({ code: e.code, message: e.message }));
      // The session ends: a rules mismatch is final, retrying cannot fix it.
      await until(
        () => staleStatuses.includes("closed"),
        10_000,
        () => `the stale client to close (${staleStatuses})`,
      );
      expect(staleStatuses).not.toContain("synced");
      for (const refusal of [staleErrors[0], hostErrors.find((e) => e.code === "CONFIG_MISMATCH")]) {
        expect(refusal?.code).toBe("CONFIG_MISMATCH");
        expect(refusal?.message).toContain(v2.manifest.fingerprint);
        expect(refusal?.message).toContain(v1.manifest.fingerprint);
      }
      expect(stale.get("best:apple")).toBe(100);

      // A client that joins by name gets the v2 manifest and syncs.
      let euTransport: Transport | undefined;
      const euSession = await openDocument({
        document: "shop-eu",
        dial: dialInto(host, (t) => {
          euTransport = t;
        }),
        rules: rulesFromManifest,
      });
      sessions.push(euSession);
      const eu: ReplicatedMap = euSession.map;
      expect(eu.fingerprint).toBe(v2.manifest.fingerprint);
      await euSession.whenSynced();
      eu.set("best:apple", 7);
      eu.increment("n:visits", 2);
      const euDoc = await host.document("shop-eu");
      await until(
        () => euSession.outboxSize() === 0,
        10_000,
        () => "the v2 writes to be acknowledged",
      );
      const euBefore = euDoc.encodeState();

      // A v1 payload slipped into the v2 session's transport, as a frame like the session's own:
      // the host refuses it (core: other rules), merges nothing, relays nothing.
      const frDoc = await host.document("shop-fr");
      await until(
        () => frSession.outboxSize() === 0,
        10_000,
        () => "the v1 writes to be acknowledged",
      );
      const v1State = fr.encodeState();
      const rejects: string[] = [];
      euSession.on("error", (e) => rejects.push(e.code));
      euTransport?.send(encodeMessage({ type: "payload", payload: v1State }));
      await until(
        () => rejects.length > 0,
        10_000,
        () => "the reject of the forged v1 payload",
      );
      expect(["PAYLOAD_REFUSED", "CONFIG_MISMATCH", "UNKNOWN_RESOLVER"]).toContain(rejects[0]);
      expect(sameBytes(euDoc.encodeState(), euBefore)).toBe(true);
      expect(euDoc.get("best:apple")).toBe(7);
      expect(euDoc.has("title")).toBe(false);

      // And the v1 document holds exactly what its own clients wrote.
      expect(sameBytes(frDoc.encodeState(), fr.encodeState())).toBe(true);
      expect(frDoc.get("best:apple")).toBe(3);
      expect(frDoc.has("n:visits")).toBe(false);
    } finally {
      for (const s of sessions) await s.close();
      await host.close();
    }
  });
});
