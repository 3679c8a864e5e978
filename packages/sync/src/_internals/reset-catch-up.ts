import type { VersionVector } from "@converge/core";
import type { Message } from "../messages.ts";
import type { MetricsSink } from "../metrics.ts";
import type { HostDocument } from "./host-document.ts";

/**
 * The catch-up a host sends right after a welcome, to a client whose hello said `since`: when
 * `since` does not cover the document's compaction floor, a `reset` and the full state (the
 * client takes it instead of merging); otherwise the delta since `since`, then the floor to
 * compact with (so the client collects what the host did). Synchronous: nothing compacts between
 * the decision and the payload. Returns whether it was a reset.
 */
export function sendCatchUp<C>(
  doc: HostDocument<C>,
  c: C,
  since: VersionVector,
  send: (c: C, m: Message) => void,
  sendPayload: (c: C, payload: Uint8Array) => void,
  metrics: MetricsSink | undefined,
): boolean {
  const floor = doc.leases.floor();
  if (doc.leases.needsReset(since)) {
    metrics?.count("resets", 1, { document: doc.name });
    send(c, { type: "reset", floor: floor ?? doc.map.versionVector() });
    sendPayload(c, doc.map.encodeState());
    return true;
  }
  sendPayload(c, doc.map.encodeDelta(since));
  if (floor !== undefined) send(c, { type: "compacted", floor });
  return false;
}
